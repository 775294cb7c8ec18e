/// The users file (`auth.users-file`): one user a line, `name:hash[:role,role…]`, `#` comments.
/// `stampede passwd` writes the lines.
public struct UsersFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var hash: String
        public var roles: Set<String>
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Parses the file; the error names the first bad line (never its hash).
    public init(parsing text: String) throws(UsersFileError) {
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            if line.allSatisfy({ $0 == " " }) || line.first == "#" { continue }
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 2, !fields[0].isEmpty, !fields[0].contains(" "), PasswordHash.isWellFormed(fields[1]) else {
                throw UsersFileError(line: number + 1)
            }
            let roles = fields.count == 3 ? Set(fields[2].split(separator: ",").map { String($0) }) : []
            entries[fields[0]] = Entry(hash: fields[1], roles: roles)
        }
    }

    /// The file with `user` set (added or replaced).
    public static func line(user: String, hash: String, roles: [String]) -> String {
        roles.isEmpty ? "\(user):\(hash)" : "\(user):\(hash):\(roles.joined(separator: ","))"
    }

    /// Replaces `user`'s line in `text` (or appends it), keeping every other line as it was.
    public static func updating(_ text: String, user: String, line: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if let index = lines.firstIndex(where: { $0.hasPrefix(user + ":") }) {
            lines[index] = line
        } else {
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

public struct UsersFileError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var description: String { "users file line \(line): expected name:pbkdf2-sha256$…[:role,role]" }
}
