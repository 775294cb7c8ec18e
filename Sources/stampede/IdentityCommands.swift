internal import ArgumentParser
internal import Auth
internal import Gateway
internal import Foundation

/// `stampede passwd`: writes one user's salted PBKDF2 hash into a users file.
struct PasswdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Add or replace a user in a users file (auth.users-file); the password is read from standard input.",
        discussion: "echo 's3cret' | stampede passwd --file users alice --role agent"
    )

    @Option(name: .long, help: ArgumentHelp("The users file (created if missing).", valueName: "path"))
    var file: String

    @Option(name: .customLong("role"), help: ArgumentHelp("A role the user gets (repeatable).", valueName: "name"))
    var roles: [String] = []

    @Argument(help: "The user name.")
    var user: String

    func run() throws {
        guard !user.isEmpty, !user.contains(":"), !user.contains(" "), roles.allSatisfy({ !$0.contains(",") && !$0.contains(":") }) else {
            Terminal.printError("user names may not contain ':' or spaces, roles no ',' or ':'")
            throw ExitCode.failure
        }
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            Terminal.printError("no password on standard input")
            throw ExitCode.failure
        }
        let existing = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let line = UsersFile.line(user: user, hash: try PasswordHash.make(password), roles: roles)
        let updated = UsersFile.updating(existing, user: user, line: line)
        guard FileManager.default.createFile(atPath: file, contents: Data(updated.utf8), attributes: [.posixPermissions: 0o600]) else {
            Terminal.printError("cannot write \(file)")
            throw ExitCode.failure
        }
        print("\(user) written to \(file)")
    }
}

/// `stampede token`: a development token signed with the configuration's key (Centrifugo's
/// `gentoken`).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a development JWT with the configured auth.jwt.secret (or a private key file).",
        discussion: "stampede token --config stampede.yml --sub alice --role agent --ttl 1h"
    )

    @OptionGroup var options: ConfigurationOptions

    @Option(name: .long, help: ArgumentHelp("The user id (the configured user claim, sub by default).", valueName: "user"))
    var sub: String

    @Option(name: .customLong("role"), help: ArgumentHelp("A role (repeatable).", valueName: "name"))
    var roles: [String] = []

    @Option(name: .long, help: ArgumentHelp("Lifetime: seconds, or with s, m, h or d.", valueName: "duration"))
    var ttl: String = "1h"

    @Option(name: .customLong("private-key"), help: ArgumentHelp("PEM private key to sign with instead of the secret (algorithm: auth.jwt.public-key-algorithm).", valueName: "path"))
    var privateKey: String?

    func run() throws {
        do {
            let configuration = try options.load()
            guard let seconds = Self.seconds(ttl) else { throw ValidationError("--ttl: expected a duration such as 3600, 90s, 15m, 1h or 7d") }
            let source: TokenKeySource
            if let privateKey {
                source = .pem(try String(contentsOfFile: privateKey, encoding: .utf8), algorithm: configuration.jwtPublicKeyAlgorithm)
            } else if let secret = configuration.jwtSecret {
                source = .hmac(secret: secret, algorithm: configuration.jwtSecretAlgorithm)
            } else {
                throw ValidationError("no auth.jwt.secret configured: set it, or give --private-key")
            }
            let key = try Self.load(source)
            let now = Int64(Date().timeIntervalSince1970)
            var claims: [String: Any] = [configuration.tokenPolicy.userClaim: sub, "iat": now, "exp": now + seconds]
            if !roles.isEmpty { claims[configuration.tokenPolicy.rolesClaim] = roles }
            if let issuer = configuration.tokenPolicy.issuer { claims["iss"] = issuer }
            if let audience = configuration.tokenPolicy.audience { claims["aud"] = audience }
            print(try TokenMinter.mint(claims: claims, key: key))
        } catch let error as ValidationError {
            throw error
        } catch {
            Terminal.printError("\(error)")
            throw ExitCode.failure
        }
    }

    static func seconds(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        if let last = text.last, let unit = units[last], let value = Int64(text.dropLast()), value > 0 { return value * unit }
        return Int64(text).flatMap { $0 > 0 ? $0 : nil }
    }

    private static func load(_ source: TokenKeySource) throws -> VerificationKey {
        final class Box: @unchecked Sendable { var result: Result<[VerificationKey], any Error> = .success([]) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.result = .success(try await TokenKeys.load([source])) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        guard let key = try box.result.get().first else { throw ValidationError("no key") }
        return key
    }
}
