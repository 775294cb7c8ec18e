internal import CCrypto

/// SHA-1 from OpenSSL's libcrypto, for the WebSocket accept key (the wire module stays pure and
/// takes the digest as a function).
enum LibCrypto {
    static func sha1(_ input: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { source in
            digest.withUnsafeMutableBytes { out in
                EVP_Digest(source.baseAddress, source.count, out.baseAddress, &length, EVP_sha1(), nil)
            }
        }
        precondition(ok == 1 && length == 20, "EVP_Digest(SHA-1) failed")
        return digest
    }
}
