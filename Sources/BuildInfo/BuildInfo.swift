/// The one place the Stampede version is written. The CLI (`--version`), the STOMP CONNECTED
/// `server` header, the admin view, `/metrics` (`stampede_build_info`) and the logs read it here.
public enum BuildInfo {
    /// The release version (semantic versioning).
    public static let version = "0.3.0"
    /// `Stampede/<version>`: the STOMP `server` header and the HTTP `Server` header.
    public static let serverName = "Stampede/\(version)"
}
