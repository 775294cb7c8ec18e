import ClusterBus
import FuzzSupport
import STOMPWire

/// ClusterBus.Envelope, the binary format nodes exchange through Redis.
///
/// Checks: `decode` never traps; it refuses exactly the inputs over `maxBytes` and exactly the
/// inputs a reference walker written here from the documented format refuses (unsupported version
/// reported as such); `decode(encode(x)) == x` for every decoded `x`; when every text field of the
/// input is valid UTF-8 and only flag bit 0 may be set, `encode(decode(input))` is the input
/// itself. Separately an envelope built from pieces of the input survives encode + decode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var random = InputRandom(seed: input)
    let maxBytes = random.chance(4) ? random.within(0...(input.count + 2)) : 1 << 30
    checkDecode(input, maxBytes: maxBytes)
    checkBuilt(from: input, &random)
    return 0
}

private func checkDecode(_ input: [UInt8], maxBytes: Int) {
    let reference = ReferenceEnvelope(input)
    do throws(EnvelopeError) {
        let envelope = try Envelope.decode(input, maxBytes: maxBytes)
        invariant(input.count <= maxBytes, "decoded \(input.count) bytes over maxBytes \(maxBytes)")
        guard let reference else {
            invariant(false, "decoded what the reference refuses: \(hex(input))")
            return
        }
        let encoded = envelope.encode()
        let again = try? Envelope.decode(encoded, maxBytes: encoded.count)
        invariant(again == envelope, "decode(encode(x)) != x for \(hex(input))")
        if reference.flags <= 1 && reference.texts.allSatisfy(isValidUTF8) {
            invariant(encoded == input, "re-encoded \(hex(encoded)) != input \(hex(input))")
        }
        invariant(envelope.redelivered == (reference.flags & 1 != 0), "redelivered flag")
        invariant(envelope.body == reference.body, "body differs")
        invariant(envelope.headers.count == reference.headerCount, "header count differs")
    } catch {
        switch error {
        case .tooLarge(let count):
            invariant(input.count > maxBytes && count == input.count, "tooLarge(\(count)) for \(input.count) bytes, max \(maxBytes)")
        case .unsupportedVersion(let version):
            invariant(input.count <= maxBytes, "size not checked first")
            invariant(input.count >= 3 && input[0] == 0x53 && input[1] == 0x45 && input[2] == version && version != 1,
                      "unsupportedVersion(\(version)) for \(hex(input))")
        case .malformed:
            invariant(input.count <= maxBytes, "size not checked first")
            invariant(reference == nil, "refused what the reference accepts: \(hex(input))")
            invariant(!(input.count >= 3 && input[0] == 0x53 && input[1] == 0x45 && input[2] != 1), "wrong version reported as malformed")
        }
    }
}

/// An envelope assembled from slices of the input round-trips.
private func checkBuilt(from input: [UInt8], _ random: inout InputRandom) {
    var cursor = 0
    func take() -> [UInt8] {
        let length = random.below(max(1, min(64, input.count - cursor + 1)))
        defer { cursor += length }
        return Array(input[min(cursor, input.count)..<min(cursor + length, input.count)])
    }
    func text() -> String { String(decoding: take(), as: UTF8.self) }
    let headers = (0..<random.below(5)).map { _ in STOMPHeader(name: text(), value: text()) }
    let envelope = Envelope(
        sourceNode: text(), messageID: text(), destination: text(),
        headers: headers, body: Array(input[min(cursor, input.count)...]), redelivered: random.chance(2)
    )
    let encoded = envelope.encode()
    do {
        let decoded = try Envelope.decode(encoded, maxBytes: encoded.count)
        invariant(decoded == envelope, "built envelope changed in transit: \(hex(encoded))")
    } catch {
        invariant(false, "built envelope refused: \(error), \(hex(encoded))")
    }
}

/// The documented wire format, walked independently of the implementation.
private struct ReferenceEnvelope: Equatable {
    var flags: UInt8 = 0
    /// Source, message id, destination, then each header's name and value, as raw bytes.
    var texts: [ArraySlice<UInt8>] = []
    var headerCount = 0
    var body: [UInt8] = []

    init?(_ bytes: [UInt8]) {
        var at = 0
        func number(_ width: Int) -> Int? {
            guard bytes.count - at >= width else { return nil }
            var value = 0
            for byte in bytes[at..<(at + width)] { value = value << 8 | Int(byte) }
            at += width
            return value
        }
        func field(_ width: Int) -> ArraySlice<UInt8>? {
            guard let length = number(width), bytes.count - at >= length else { return nil }
            defer { at += length }
            return bytes[at..<(at + length)]
        }
        guard bytes.count >= 4, bytes[0] == 0x53, bytes[1] == 0x45, bytes[2] == 1 else { return nil }
        flags = bytes[3]
        at = 4
        for _ in 0..<3 {
            guard let text = field(2) else { return nil }
            texts.append(text)
        }
        guard let count = number(2) else { return nil }
        headerCount = count
        for _ in 0..<count {
            guard let name = field(2), let value = field(4) else { return nil }
            texts += [name, value]
        }
        guard let body = field(4), at == bytes.count else { return nil }
        self.body = Array(body)
    }
}
