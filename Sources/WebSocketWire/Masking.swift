/// XOR masking of frame payloads (RFC 6455 §5.3), eight bytes at a time.
enum Masking {
    static func unmask(_ source: UnsafeRawBufferPointer, key: (UInt8, UInt8, UInt8, UInt8)) -> [UInt8] {
        var output = [UInt8](source)
        output.withUnsafeMutableBytes { unmaskInPlace($0, key: key) }
        return output
    }

    /// XORs `bytes` with the mask key where they are.
    static func unmaskInPlace(_ bytes: UnsafeMutableRawBufferPointer, key: (UInt8, UInt8, UInt8, UInt8)) {
        let count = bytes.count
        // The key repeated twice, in memory order, lines up with every 8-byte word of the payload.
        var wideKey: UInt64 = 0
        withUnsafeMutableBytes(of: &wideKey) { keyBytes in
            for index in 0..<8 {
                keyBytes[index] = index & 3 == 0 ? key.0 : index & 3 == 1 ? key.1 : index & 3 == 2 ? key.2 : key.3
            }
        }
        var index = 0
        while index + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ wideKey
            bytes.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            bytes[index] ^= index & 3 == 0 ? key.0 : index & 3 == 1 ? key.1 : index & 3 == 2 ? key.2 : key.3
            index += 1
        }
    }
}
