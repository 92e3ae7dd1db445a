// Errors of the model registry and the stores next to it. Each says what was asked and what is
// wrong, so the CLI can print it as is and the services can map it to a 4xx answer.

/** The stored bytes of an artifact do not hash to what the registry recorded: refuse to use them. */
export class ArtifactChecksumError extends Error {
  constructor(
    readonly artifactName: string,
    readonly uri: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(
      `checksum mismatch for artifact "${artifactName}" at ${uri}: the registry recorded sha256 ` +
        `${expectedSha256} but the stored file hashes to ${actualSha256}; refusing to load it ` +
        "(the file was changed or corrupted after registration)",
    );
    this.name = "ArtifactChecksumError";
  }
}

/** Input to a registry call is invalid; `field` names the offending field. */
export class RegistryInputError extends Error {
  constructor(
    readonly field: string,
    /** What is wrong with it, without the field's name (a validation detail names it apart). */
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "RegistryInputError";
  }
}

/** A model, model version, policy or artifact that was asked for does not exist. */
export class RegistryNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryNotFoundError";
  }
}

/** The requested stage change is impossible in the current state (e.g. nothing to roll back to). */
export class RegistryStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryStateError";
  }
}
