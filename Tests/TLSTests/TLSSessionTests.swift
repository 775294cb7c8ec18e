import TestSupport
@testable import TLS
import XCTest

/// A server and a client session talking through memory only: no socket.
final class TLSSessionTests: XCTestCase {
    private var certificates: TestCertificates!

    override func setUpWithError() throws {
        certificates = try TestCertificates()
    }

    private func serverContext(clientCA: Bool = false, required: Bool = false, minimumVersion: String = "1.2") throws -> TLSContext {
        try TLSContext(server: TLSSettings(
            certificateFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey,
            clientCAFile: clientCA ? certificates.caFile : nil, requireClientCertificate: required,
            minimumVersion: minimumVersion))
    }

    /// Moves ciphertext both ways until neither side has anything to send; returns the plaintext each received.
    @discardableResult
    private func pump(_ client: TLSSession, _ server: TLSSession, byteByByte: Bool = false)
        -> (toServer: [UInt8], toClient: [UInt8], server: TLSSession.ReceiveOutcome, client: TLSSession.ReceiveOutcome)
    {
        var toServer: [UInt8] = [], toClient: [UInt8] = []
        var serverOutcome = TLSSession.ReceiveOutcome(), clientOutcome = TLSSession.ReceiveOutcome()
        func merge(_ into: inout TLSSession.ReceiveOutcome, _ from: TLSSession.ReceiveOutcome) {
            into.handshakeCompleted = into.handshakeCompleted || from.handshakeCompleted
            into.peerClosed = into.peerClosed || from.peerClosed
            into.failure = into.failure ?? from.failure
        }
        for _ in 0..<20 {
            var moved = false
            var wire: [UInt8] = []
            client.takeCiphertext { wire += $0 }
            if !wire.isEmpty {
                moved = true
                let chunks = byteByByte ? wire.map { [$0] } : [wire]
                for chunk in chunks {
                    chunk.withUnsafeBytes { merge(&serverOutcome, server.receive($0) { toServer += $0 }) }
                }
            }
            wire = []
            server.takeCiphertext { wire += $0 }
            if !wire.isEmpty {
                moved = true
                wire.withUnsafeBytes { merge(&clientOutcome, client.receive($0) { toClient += $0 }) }
            }
            if !moved { break }
        }
        return (toServer, toClient, serverOutcome, clientOutcome)
    }

    func testHandshakeThenPlaintextBothWaysFedByteByByte() throws {
        let server = try serverContext().makeSession()
        let client = try TLSContext(clientTrusting: certificates.caFile).makeSession(serverName: "localhost")
        Array("CONNECT\n\n\0".utf8).withUnsafeBytes { client.write($0) }
        let first = pump(client, server, byteByByte: true)
        XCTAssertEqual(server.state, .established)
        XCTAssertEqual(client.state, .established)
        XCTAssertTrue(first.server.handshakeCompleted)
        XCTAssertEqual(String(decoding: first.toServer, as: UTF8.self), "CONNECT\n\n\0", "early plaintext is sent after the handshake")
        XCTAssertEqual(server.protocolVersion, "TLSv1.3")

        for piece in ["CONNECTED\n", "version:1.2\n", "\n\0"] { Array(piece.utf8).withUnsafeBytes { server.seal($0) } }
        server.endSeal()
        XCTAssertEqual(String(decoding: pump(client, server).toClient, as: UTF8.self), "CONNECTED\nversion:1.2\n\n\0")
    }

    func testLargeWritesArriveWhole() throws {
        let server = try serverContext().makeSession()
        let client = try TLSContext(clientTrusting: nil).makeSession()
        Array("x".utf8).withUnsafeBytes { client.write($0) }
        pump(client, server)
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        big.withUnsafeBytes { server.seal($0) }
        server.endSeal()
        XCTAssertEqual(pump(client, server).toClient, big)
    }

    func testPlainHTTPToTheTLSPortFailsWithOpenSSLsReason() throws {
        let server = try serverContext().makeSession()
        let outcome = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8).withUnsafeBytes { server.receive($0) { _ in XCTFail("no plaintext") } }
        XCTAssertNotNil(outcome.failure)
        XCTAssertTrue(outcome.failure?.contains("http request") ?? false, outcome.failure ?? "")
        if case .failed = server.state {} else { XCTFail("state \(server.state)") }
    }

    func testClientOfferingOnlyTLS12IsRefusedWhenTheMinimumIs13() throws {
        let server = try serverContext(minimumVersion: "1.3").makeSession()
        let clientContext = try TLSContext(clientTrusting: nil)
        clientContext.setMaximumVersionForTesting12()
        let client = clientContext.makeSession()
        Array("x".utf8).withUnsafeBytes { client.write($0) }
        let result = pump(client, server)
        XCTAssertNotNil(result.server.failure)
        XCTAssertNotEqual(server.state, .established)
    }

    func testClientThatDoesNotTrustTheCAFails() throws {
        let otherCA = try TestCertificates()
        let server = try serverContext().makeSession()
        let client = try TLSContext(clientTrusting: otherCA.caFile).makeSession(serverName: "localhost")
        Array("x".utf8).withUnsafeBytes { client.write($0) }
        let result = pump(client, server)
        XCTAssertTrue(result.client.failure?.contains("certificate verify failed") ?? false, result.client.failure ?? "none")
    }

    func testRequiredClientCertificateRefusesAClientWithoutOne() throws {
        let server = try serverContext(clientCA: true, required: true).makeSession()
        let client = try TLSContext(clientTrusting: certificates.caFile).makeSession()
        Array("x".utf8).withUnsafeBytes { client.write($0) }
        let result = pump(client, server)
        XCTAssertNotNil(result.server.failure, "server accepted a client without a certificate")
        XCTAssertTrue(result.server.failure?.contains("certificate") ?? false, result.server.failure ?? "")
    }

    func testClientCertificateSubjectIsKnownAfterTheHandshake() throws {
        let server = try serverContext(clientCA: true, required: true).makeSession()
        let clientContext = try TLSContext(clientTrusting: certificates.caFile)
        try clientContext.useCertificateForTesting(certificates.clientCertificate, key: certificates.clientKey)
        let client = clientContext.makeSession()
        Array("x".utf8).withUnsafeBytes { client.write($0) }
        let result = pump(client, server)
        XCTAssertNil(result.server.failure)
        XCTAssertEqual(server.state, .established)
        XCTAssertEqual(server.peerCertificateSubject, "/CN=test-client")
    }

    func testCloseNotifyEndsThePeersSession() throws {
        let server = try serverContext().makeSession()
        let client = try TLSContext(clientTrusting: nil).makeSession()
        Array("x".utf8).withUnsafeBytes { client.write($0) }
        pump(client, server)
        server.close()
        XCTAssertTrue(pump(client, server).client.peerClosed)
        XCTAssertEqual(client.state, .closed)
    }

    func testMissingOrMismatchedFilesAreConfigurationErrorsNamingTheFile() throws {
        XCTAssertThrowsError(try TLSContext(server: TLSSettings(certificateFile: "/nonexistent.pem", privateKeyFile: certificates.serverKey))) {
            XCTAssertTrue("\($0)".contains("tls.cert-file /nonexistent.pem"), "\($0)")
        }
        XCTAssertThrowsError(try TLSContext(server: TLSSettings(certificateFile: certificates.serverCertificate, privateKeyFile: certificates.clientKey))) {
            XCTAssertTrue("\($0)".contains("mismatch"), "\($0)")
        }
        XCTAssertThrowsError(try TLSContext(server: TLSSettings(certificateFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey, ciphers: "NOPE"))) {
            XCTAssertTrue("\($0)".contains("tls.ciphers"), "\($0)")
        }
    }
}
