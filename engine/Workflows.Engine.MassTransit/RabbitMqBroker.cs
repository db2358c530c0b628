using System.Net.Security;
using System.Security.Authentication;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Workflows.Engine.MassTransit;

/// <summary>How the broker answered a health check.</summary>
/// <param name="Healthy">Whether a connection and a channel opened.</param>
/// <param name="Reachable">Whether anything answered at the address; false when the broker is down or the address wrong.</param>
/// <param name="Description">What happened, naming the broker.</param>
public sealed record BrokerHealth(bool Healthy, bool Reachable, string Description);

/// <summary>One exchange or queue of the broker that is not as the bus needs it.</summary>
/// <param name="Kind"><c>exchange</c> or <c>queue</c>.</param>
/// <param name="Name">Its name.</param>
/// <param name="Missing">True when it does not exist (the bus declares it at start, where it may); false when it exists with other settings.</param>
/// <param name="Detail">What the broker said.</param>
public sealed record TopologyFinding(string Kind, string Name, bool Missing, string Detail)
{
    /// <inheritdoc/>
    public override string ToString() => Missing ? $"{Kind} '{Name}' is missing" : $"{Kind} '{Name}' does not match: {Detail}";
}

/// <summary>
/// Talks to RabbitMQ directly (RabbitMQ.Client) for what MassTransit does not do: a health check that opens a
/// connection and says why it could not, and a start-up check of the exchanges and queues the bus relies on.
/// </summary>
public static class RabbitMqBroker
{
    /// <summary>Opens a connection and a channel, then closes them.</summary>
    public static async Task<BrokerHealth> CheckHealthAsync(RabbitMqOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            await using var connection = await Factory(options, "workflows-health").CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new BrokerHealth(true, true, $"RabbitMQ at {options.Describe()} answers (server {Version(connection)})");
        }
        catch (BrokerUnreachableException e) when (Find<AuthenticationFailureException>(e) is { } denied)
        {
            return new BrokerHealth(false, true, $"RabbitMQ at {options.Describe()} refused the user '{options.Username}': {denied.Message}");
        }
        catch (BrokerUnreachableException e) when (Find<OperationInterruptedException>(e) is { } interrupted)
        {
            return new BrokerHealth(false, true, $"RabbitMQ at {options.Describe()} refused the connection: {interrupted.ShutdownReason?.ReplyText ?? interrupted.Message} (does virtual host '{options.VirtualHost}' exist, and may '{options.Username}' use it?)");
        }
        catch (Exception e) when (e is BrokerUnreachableException or ConnectFailureException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return new BrokerHealth(false, false, $"RabbitMQ at {options.Describe()} cannot be reached: {Innermost(e).Message}");
        }
    }

    /// <summary>
    /// Checks that each exchange (fanout, durable) and queue (durable, not exclusive, not auto-deleted, no
    /// arguments) exists with the settings the bus declares. Declaring an existing entity with other settings
    /// fails with the broker's reason (PRECONDITION_FAILED), which is what a finding of a mismatch carries.
    /// </summary>
    public static async Task<IReadOnlyList<TopologyFinding>> CheckTopologyAsync(RabbitMqOptions options, IEnumerable<string> exchanges, IEnumerable<string> queues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var findings = new List<TopologyFinding>();
        await using var connection = await Factory(options, "workflows-topology").CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var exchange in exchanges.Distinct(StringComparer.Ordinal))
        {
            findings.AddRange(await CheckAsync(connection, "exchange", exchange,
                (channel, ct) => channel.ExchangeDeclarePassiveAsync(exchange, ct),
                (channel, ct) => channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct), cancellationToken).ConfigureAwait(false));
        }

        foreach (var queue in queues.Distinct(StringComparer.Ordinal))
        {
            findings.AddRange(await CheckAsync(connection, "queue", queue,
                (channel, ct) => channel.QueueDeclarePassiveAsync(queue, ct),
                (channel, ct) => channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct), cancellationToken).ConfigureAwait(false));
        }

        return findings;
    }

    // Each refusal closes its channel, so every check gets a channel of its own.
    private static async Task<IEnumerable<TopologyFinding>> CheckAsync(IConnection connection, string kind, string name,
        Func<IChannel, CancellationToken, Task> passive, Func<IChannel, CancellationToken, Task> declare, CancellationToken ct)
    {
        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
            await passive(channel, ct).ConfigureAwait(false);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return [new TopologyFinding(kind, name, Missing: true, e.ShutdownReason.ReplyText)];
        }

        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
            await declare(channel, ct).ConfigureAwait(false);
            return [];
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            return [new TopologyFinding(kind, name, Missing: false, e.ShutdownReason.ReplyText)];
        }
    }

    internal static ConnectionFactory Factory(RabbitMqOptions options, string clientName) => new()
    {
        HostName = options.Host,
        Port = options.Port,
        VirtualHost = options.VirtualHost,
        UserName = options.Username,
        Password = options.Password,
        ClientProvidedName = clientName,
        AutomaticRecoveryEnabled = false,
        RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        Ssl = options.UseTls
            ? new SslOption(options.TlsServerName ?? options.Host, enabled: true) { Version = SslProtocols.Tls12 | SslProtocols.Tls13, AcceptablePolicyErrors = SslPolicyErrors.None }
            : new SslOption { Enabled = false },
    };

    private static string Version(IConnection connection) =>
        connection.ServerProperties?.TryGetValue("version", out var v) == true && v is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : "unknown version";

    private static T? Find<T>(Exception e)
        where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
