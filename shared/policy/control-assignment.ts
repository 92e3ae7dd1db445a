// Control-group assignment of a campaign: customer c of campaign k is in the control group when
// u = HMAC-SHA-256(secret, k ‖ 0x00 ‖ c) read as a 52-bit fraction is below the control share.
// Deterministic (a retry, another replica or a later batch gives the same group), independent of
// everything the policy sees (so treated and control are comparable), and unguessable without the
// secret (a customer cannot pick a group). Web Crypto only: runs on every runtime.
// The customer id is drawn in Unicode's composed form (NFC): "José" sent decomposed (as macOS
// writes it) is the same customer, in the same group. An NFC id (every ASCII id) is drawn as before.
import { nfcCustomerId } from "../contracts/forecast-request.ts";

export const DEV_CAMPAIGN_SECRET = "pp-development-campaign-secret-change-me";

export type AssignmentGroup = "treated" | "control";

const encoder = new TextEncoder();
const FINGERPRINT_LABEL = "purchase-prediction campaign secret fingerprint v1";

/** The 52-bit fraction in [0, 1) at byte `at` of a MAC: the 32 bits there and the top 20 after. */
function fractionAt(view: DataView, at: number): number {
  return (view.getUint32(at) * 2 ** 20 + (view.getUint32(at + 4) >>> 12)) / 2 ** 52;
}

export class ControlAssignment {
  private readonly key: Promise<CryptoKey>;

  constructor(secret: string) {
    this.key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
  }

  /** The customer's uniform draw in [0, 1) for this campaign (of its id's NFC spelling). */
  async draw(campaign: string, customerId: string): Promise<number> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.key,
      encoder.encode(`${campaign}\u0000${nfcCustomerId(customerId)}`),
    );
    return fractionAt(new DataView(mac), 0);
  }

  /**
   * The customer's exploration draws for this campaign (shared/policy/exploration.ts): `explore`
   * (explored when below the share) and `pick` (which eligible action), two 52-bit fractions of
   * one HMAC of a message no control draw has (campaign ids start with a letter or digit, so none
   * starts with 0x01): independent of the control group and of each other.
   */
  async explorationDraw(
    campaign: string,
    customerId: string,
  ): Promise<{ explore: number; pick: number }> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.key,
      encoder.encode(`\u0001explore\u0000${campaign}\u0000${nfcCustomerId(customerId)}`),
    );
    const view = new DataView(mac);
    return { explore: fractionAt(view, 0), pick: fractionAt(view, 8) };
  }

  /**
   * A keyed fingerprint of the secret (hex HMAC-SHA-256 of a fixed label; never the secret): two
   * processes share it only when they share the secret. The label holds no 0x00, so it is no
   * customer's draw message (campaign ‖ 0x00 ‖ customer).
   */
  async fingerprint(): Promise<string> {
    const mac = await crypto.subtle.sign("HMAC", await this.key, encoder.encode(FINGERPRINT_LABEL));
    return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** Groups of `customerIds` in `campaign` with `controlShare` (0–0.5) held out. */
  async groups(
    campaign: string,
    customerIds: readonly string[],
    controlShare: number,
  ): Promise<AssignmentGroup[]> {
    const draws = await Promise.all(customerIds.map((id) => this.draw(campaign, id)));
    return draws.map((u) => (u < controlShare ? "control" : "treated"));
  }
}
