// Which artifact store a location names: a folder path or file:// is the file store, s3:// a
// bucket. One reading for the store's opener and for the configuration's check (no I/O here, so
// the Workers' configuration can use it).

/** The location's scheme, lower-cased; "file" for a plain path. */
export function artifactStoreScheme(location: string): string {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase() ?? "file";
}

/** Why `location` names no artifact store this project has (null: it does). */
export function artifactStoreUriProblem(location: string): string | null {
  const scheme = artifactStoreScheme(location);
  if (scheme === "file" || scheme === "s3") return null;
  return `must be a folder path, a file:// or an s3:// URI ("${scheme}://" is not supported)`;
}
