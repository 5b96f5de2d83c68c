using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Spike.Tests.Support;

/// <summary>Keeps every entry a node logs at <paramref name="minimum"/> or above (by default Error: for tests that assert it logged none).</summary>
public sealed class LogRecorder(LogLevel minimum = LogLevel.Error) : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, minimum, _entries);

    public void Dispose()
    {
    }

    private sealed class Recorder(string category, LogLevel minimum, ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
