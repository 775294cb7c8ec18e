internal import Glibc

/// The process's surroundings: environment variables and standard error.
enum Terminal {
    /// The process environment as a dictionary (first definition wins, as getenv does).
    static func environment() -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "="), variables[String(text[..<equals])] == nil {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return variables
    }

    /// Writes one line to standard error, bypassing the logger (which may not exist yet).
    static func printError(_ message: String) {
        var bytes = Array("stampede: \(message)\n".utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}
