/// The header lines of a connection's previous SEND, as wire bytes and as decoded headers.
///
/// Clients send the same lines over and over (`destination`, `content-type`, often
/// `content-length`): a line equal, byte for byte, to the line at the same position in the
/// previous SEND is the same header, so the decoder hands out the header it decoded then
/// instead of building and validating its Strings again (several per cent of a queue message's
/// instructions, issue 13). Decoding depends on the version and the command only, which the
/// decoder keeps fixed while lines are remembered.
///
/// Bounded: the first `maxLines` lines of up to `maxLineBytes` bytes each, each in its own slot
/// that is overwritten in place, so a line that changes per SEND (a receipt id) costs no more
/// than before and does not push the others out. One word in the decoder, and empty until the
/// connection's first SEND: idle connections pay nothing.
struct RepeatedHeaderLines: Sendable {
    static let maxLines = 8
    static let maxLineBytes = 64

    private struct Slot: Sendable {
        var line: [UInt8]
        var header: STOMPHeader
        /// False while the slot holds no line (the last one at its position was too long).
        var isValid: Bool
    }

    private var slots: [Slot] = []

    /// Whether `line` is the line remembered at `index`; its header is then `header(at:)`.
    func matches(at index: Int, line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard index < slots.count, slots[index].isValid, slots[index].line.count == line.count else { return false }
        return slots[index].line.withUnsafeBufferPointer { ByteSearch.equal($0, line) }
    }

    /// The header remembered at `index` (after `matches(at:line:)` said so).
    func header(at index: Int) -> STOMPHeader { slots[index].header }

    /// Remembers that `line` at `index` decoded to `header`.
    mutating func remember(_ header: STOMPHeader, at index: Int, line: UnsafeBufferPointer<UInt8>) {
        guard index < Self.maxLines else { return }
        while slots.count <= index {
            // A placeholder until its line is remembered.
            slots.append(Slot(line: [], header: header, isValid: false))
        }
        guard line.count <= Self.maxLineBytes else {
            slots[index].isValid = false
            return
        }
        slots[index].line.removeAll(keepingCapacity: true)
        slots[index].line.append(contentsOf: line)
        slots[index].header = header
        slots[index].isValid = true
    }

    /// Forgets every line (the version changed).
    mutating func removeAll() {
        slots = []
    }
}
