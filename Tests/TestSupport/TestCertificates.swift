import Foundation

/// A throwaway CA and certificates made with the `openssl` command line at test time (nothing is
/// committed): a server certificate for `localhost`/127.0.0.1, one for another host, an expired
/// one, and a client certificate, all signed by the CA.
public final class TestCertificates {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let directory: URL
    public var caFile: String { path("ca.pem") }
    public var serverCertificate: String { path("server.pem") }
    public var serverKey: String { path("server.key") }
    public var clientCertificate: String { path("client.pem") }
    public var clientKey: String { path("client.key") }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=Stampede Test CA"])
        try issue(name: "server", subject: "/CN=localhost", altNames: "DNS:localhost,IP:127.0.0.1")
        try issue(name: "client", subject: "/CN=test-client", altNames: nil)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A key and a certificate signed by the CA, as `<name>.key` and `<name>.pem`.
    public func issue(name: String, subject: String, altNames: String?, days: Int = 2) throws {
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject])
        var arguments = ["x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                         "-CAcreateserial", "-out", path("\(name).pem"), "-days", String(days)]
        if let altNames {
            try "subjectAltName=\(altNames)\n".write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
            arguments += ["-extfile", path("\(name).ext")]
        }
        try openssl(arguments)
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "openssl \(arguments.first ?? "") failed: \(String(decoding: output, as: UTF8.self))")
        }
    }
}
