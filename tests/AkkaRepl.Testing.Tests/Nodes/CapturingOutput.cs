using System.Collections.Concurrent;
using Xunit.Abstractions;

namespace AkkaRepl.Testing.Tests.Nodes;

/// <summary>An <see cref="ITestOutputHelper"/> that keeps what was written, to assert on it.</summary>
internal sealed class CapturingOutput : ITestOutputHelper
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public void WriteLine(string message) => _lines.Enqueue(message);

    public void WriteLine(string format, params object[] args) => _lines.Enqueue(string.Format(format, args));
}
