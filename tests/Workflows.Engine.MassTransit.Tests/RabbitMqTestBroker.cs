using System.Diagnostics;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>
/// The RabbitMQ the test script installed and started (WORKFLOWS_TEST_RABBITMQ), with a virtual host of the
/// fixture's own, so queues left by one fixture never reach another; <c>rabbitmqctl</c> stops and starts it.
/// </summary>
internal sealed class RabbitMqTestBroker : IAsyncDisposable
{
    private readonly RabbitMqOptions _server;

    private RabbitMqTestBroker(RabbitMqOptions server, string virtualHost)
    {
        _server = server;
        VirtualHost = virtualHost;
    }

    public string VirtualHost { get; }

    public static async Task<RabbitMqTestBroker> CreateAsync()
    {
        var uri = Environment.GetEnvironmentVariable("WORKFLOWS_TEST_RABBITMQ")
            ?? throw new InvalidOperationException("WORKFLOWS_TEST_RABBITMQ is not set: run ./scripts/test.sh, which installs and starts RabbitMQ and sets it");
        var broker = new RabbitMqTestBroker(RabbitMqOptions.FromUri(uri), "workflows-test-" + Guid.NewGuid().ToString("N")[..8]);
        await CtlAsync("add_vhost", broker.VirtualHost);
        await CtlAsync("set_permissions", "-p", broker.VirtualHost, broker._server.Username, ".*", ".*", ".*");
        return broker;
    }

    public WorkflowBusOptions Options() => new()
    {
        Transport = BusTransport.RabbitMq,
        RabbitMq = Connection(),
        PollInterval = TimeSpan.FromMilliseconds(200),
        PublishTimeout = TimeSpan.FromSeconds(3),
        MaxRetryDelay = TimeSpan.FromSeconds(1),
    };

    public RabbitMqOptions Connection() => new()
    {
        Host = _server.Host,
        Port = _server.Port,
        Username = _server.Username,
        Password = _server.Password,
        VirtualHost = VirtualHost,
    };

    /// <summary>Stops the broker application (the Erlang node stays up, so it starts again in seconds).</summary>
    public static Task StopAsync() => CtlAsync("stop_app");

    public static async Task StartAsync()
    {
        await CtlAsync("start_app");
        await CtlAsync("await_startup");
    }

    public async ValueTask DisposeAsync()
    {
        await StartAsync(); // a failed test may have left it stopped
        await CtlAsync("delete_vhost", VirtualHost);
    }

    public static async Task CtlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("rabbitmqctl did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}
