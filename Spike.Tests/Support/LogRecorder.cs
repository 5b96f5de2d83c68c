using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Spike.Tests.Support;

/// <summary>One recorded log entry: its line as a text logger would write it, and its structured fields.</summary>
public sealed record LogEntry(LogLevel Level, string Category, string Message, IReadOnlyList<KeyValuePair<string, string?>> Fields)
{
    /// <summary>The first value of the named field, or null.</summary>
    public string? Field(string name) => Fields.FirstOrDefault(f => f.Key == name).Value;

    /// <summary>Everything the entry shows, fields included: what an assertion that something is never logged searches.</summary>
    public string Everything => $"{this} {string.Join(' ', Fields)}";

    public override string ToString() => $"{Level} {Category}: {Message}";
}

/// <summary>Keeps every entry a node logs at <paramref name="minimum"/> or above (by default Error: for tests that assert it logged none).</summary>
public sealed class LogRecorder(LogLevel minimum = LogLevel.Error) : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyCollection<LogEntry> Records => _entries;

    /// <summary>The entries as lines (with any exception).</summary>
    public IReadOnlyCollection<string> Entries => _entries.Select(e => e.Everything).ToArray();

    /// <summary>The entries at <paramref name="level"/> or above, as lines.</summary>
    public IReadOnlyCollection<string> EntriesAtLeast(LogLevel level) => _entries.Where(e => e.Level >= level).Select(e => e.Everything).ToArray();

    public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, minimum, _entries);

    public void Dispose()
    {
    }

    private sealed class Recorder(string category, LogLevel minimum, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                    ? pairs.Select(p => KeyValuePair.Create(p.Key, p.Value?.ToString())).ToArray()
                    : [];
                entries.Enqueue(new LogEntry(logLevel, category, $"{formatter(state, exception)} {exception}", fields));
            }
        }
    }
}
