/// The header lines of a connection's previous SEND, as wire bytes and as decoded headers.
///
/// Clients send the same lines over and over (`destination`, `content-type`, often
/// `content-length`): a line equal, byte for byte, to the line at the same position in the
/// previous SEND is the same header, so the decoder hands out the header it decoded then
/// instead of building and validating its Strings again (about a tenth of a queue message's
/// instructions, issue 13). Decoding depends on the version and the command only, which the
/// decoder keeps fixed while lines are remembered.
///
/// Bounded: the first `maxLines` lines of up to `maxLineBytes` bytes each, in fixed slots that
/// are overwritten in place, so a line that changes per SEND (a receipt id) costs no more than
/// before and does not push the others out. Empty until the connection's first SEND.
struct RepeatedHeaderLines: Sendable {
    static let maxLines = 8
    static let maxLineBytes = 64

    /// Slot `i` is `bytes[i * maxLineBytes ..< i * maxLineBytes + lengths[i]]`.
    private var bytes: [UInt8] = []
    /// -1: the slot holds no line.
    private var lengths: [Int] = []
    private var headers: [STOMPHeader] = []

    /// Whether `line` is the line remembered at `index`; its header is then `header(at:)`.
    func matches(at index: Int, line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard index < lengths.count, lengths[index] == line.count else { return false }
        let start = index * Self.maxLineBytes
        return bytes.withUnsafeBufferPointer { stored in
            ByteSearch.equal(UnsafeBufferPointer(rebasing: stored[start..<(start + line.count)]), line)
        }
    }

    /// The header remembered at `index` (after `matches(at:line:)` said so).
    func header(at index: Int) -> STOMPHeader { headers[index] }

    /// Remembers that `line` at `index` decoded to `header`.
    mutating func remember(_ header: STOMPHeader, at index: Int, line: UnsafeBufferPointer<UInt8>) {
        guard index < Self.maxLines else { return }
        while lengths.count <= index {
            lengths.append(-1)
            headers.append(header)  // a placeholder until its line is remembered
            bytes.append(contentsOf: repeatElement(0, count: Self.maxLineBytes))
        }
        guard line.count <= Self.maxLineBytes else {
            lengths[index] = -1
            return
        }
        let start = index * Self.maxLineBytes
        bytes.withUnsafeMutableBufferPointer { stored in
            guard let target = stored.baseAddress, let source = line.baseAddress else { return }
            (target + start).update(from: source, count: line.count)
        }
        lengths[index] = line.count
        headers[index] = header
    }

    /// Forgets every line (the version changed).
    mutating func removeAll() {
        bytes = []
        lengths = []
        headers = []
    }
}
