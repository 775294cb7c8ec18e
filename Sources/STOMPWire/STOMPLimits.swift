/// Size limits the decoder enforces while it reads, so a peer cannot make it buffer without bound.
public struct STOMPLimits: Sendable, Equatable {
    /// Bytes of command line, header lines, blank line and body (the NUL terminator not counted).
    public var maxFrameBytes: Int
    /// Header lines per frame (repeats count).
    public var maxHeaders: Int
    /// Bytes of one command or header line, its line ending not counted.
    public var maxHeaderLineBytes: Int
    /// Bytes of one body.
    public var maxBodyBytes: Int

    /// Limits with defaults sized for a 4 MiB body plus 64 KiB of headers.
    public init(
        maxFrameBytes: Int = 4 * 1024 * 1024 + 64 * 1024,
        maxHeaders: Int = 64,
        maxHeaderLineBytes: Int = 8 * 1024,
        maxBodyBytes: Int = 4 * 1024 * 1024
    ) {
        self.maxFrameBytes = maxFrameBytes
        self.maxHeaders = maxHeaders
        self.maxHeaderLineBytes = maxHeaderLineBytes
        self.maxBodyBytes = maxBodyBytes
    }
}
