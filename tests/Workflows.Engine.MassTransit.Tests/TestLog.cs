using Microsoft.Extensions.Logging;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>Sends the bus's warnings and errors to the test's progress output, where a failing test shows why.</summary>
internal sealed class TestLog : ILoggerFactory, ILogger
{
    public static readonly TestLog Factory = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        TestContext.Progress.WriteLine($"[{logLevel}] {formatter(state, exception)}");
}
