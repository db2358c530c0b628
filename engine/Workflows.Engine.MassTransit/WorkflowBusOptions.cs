namespace Workflows.Engine.MassTransit;

/// <summary>Which broker carries the bus.</summary>
public enum BusTransport
{
    /// <summary>MassTransit's in-memory transport: one process, nothing to install (the embedded default).</summary>
    InMemory,

    /// <summary>RabbitMQ, configured by <see cref="WorkflowBusOptions.RabbitMq"/>.</summary>
    RabbitMq,
}

/// <summary>How an engine node talks to the bus. <see cref="Validate"/> runs at start: a bad value fails with a message naming it.</summary>
public sealed class WorkflowBusOptions
{
    /// <summary>The broker. Default <see cref="BusTransport.InMemory"/>.</summary>
    public BusTransport Transport { get; set; } = BusTransport.InMemory;

    /// <summary>The RabbitMQ connection, used when <see cref="Transport"/> is <see cref="BusTransport.RabbitMq"/>.</summary>
    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>
    /// The queue this engine consumes messages and job answers from. Default <c>workflows</c>. Nodes that share a
    /// database share the queue (competing consumers); engines with their own databases need queues of their own.
    /// </summary>
    public string QueueName { get; set; } = "workflows";

    /// <summary>How many messages a node handles at once from its queue. Default 16.</summary>
    public int ConcurrentMessageLimit { get; set; } = 16;

    /// <summary>How many outbox rows the relay reads per round. Default 256.</summary>
    public int RelayBatchSize { get; set; } = 256;

    /// <summary>How often an idle relay and job dispatcher look for work that another node committed. Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the relay's lease lasts: another node takes over this long after the relaying node dies. Default 30 s.</summary>
    public TimeSpan RelayLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a worker has to answer a job before it is sent again. Default 5 min.</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one publish may wait for the broker before the relay backs off and tries again. Default 10 s.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest pause between tries while the broker is away. Default 5 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// On the in-memory transport, how long a message that an engine of the node gave up (it failed on every retry) waits
    /// before it is published again; the pause doubles with each give-up. Default 10 s. (On RabbitMQ a message given up
    /// goes to the queue's error queue, where the broker keeps it.)
    /// </summary>
    public TimeSpan RedeliveryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// On the in-memory transport, how often a message given up is published again before it is parked: kept in the
    /// outbox, listed by <c>engine.Queries.GetParkedMessagesAsync</c>, and published again only by
    /// <c>engine.Operations.SendParkedMessageAgainAsync</c>. Default 8 (with the default delay the last pause is about
    /// 21 minutes, and a message is parked about 43 minutes after it was first given up).
    /// </summary>
    public int MaxRedeliveries { get; set; } = 8;

    /// <exception cref="ArgumentException">An option is out of range; the message names it and says what is allowed.</exception>
    public void Validate()
    {
        Check(Enum.IsDefined(Transport), nameof(Transport), Transport, "must be InMemory or RabbitMq");
        Check(IsQueueName(QueueName), nameof(QueueName), QueueName, "must be 1 to 200 letters, digits, '-', '_' or '.'");
        Check(ConcurrentMessageLimit is >= 1 and <= 1000, nameof(ConcurrentMessageLimit), ConcurrentMessageLimit, "must be from 1 to 1000");
        Check(RelayBatchSize is >= 1 and <= 10_000, nameof(RelayBatchSize), RelayBatchSize, "must be from 1 to 10000");
        Check(PollInterval > TimeSpan.Zero, nameof(PollInterval), PollInterval, "must be positive");
        Check(RelayLease >= TimeSpan.FromSeconds(1), nameof(RelayLease), RelayLease, "must be at least a second");
        Check(JobTimeout >= TimeSpan.FromSeconds(1), nameof(JobTimeout), JobTimeout, "must be at least a second");
        Check(PublishTimeout > TimeSpan.Zero, nameof(PublishTimeout), PublishTimeout, "must be positive");
        Check(MaxRetryDelay > TimeSpan.Zero, nameof(MaxRetryDelay), MaxRetryDelay, "must be positive");
        Check(RedeliveryDelay > TimeSpan.Zero && RedeliveryDelay <= TimeSpan.FromHours(1), nameof(RedeliveryDelay), RedeliveryDelay, "must be positive and at most an hour");
        Check(MaxRedeliveries is >= 0 and <= 20, nameof(MaxRedeliveries), MaxRedeliveries, "must be from 0 to 20");
        if (Transport == BusTransport.RabbitMq)
        {
            ArgumentNullException.ThrowIfNull(RabbitMq, nameof(RabbitMq));
            RabbitMq.Validate();
        }
    }

    internal static bool IsQueueName(string? name) =>
        name is { Length: >= 1 and <= 200 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    internal static void Check(bool ok, string name, object? value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"bus option {name} = '{value}' {rule}", name);
        }
    }
}

/// <summary>Where RabbitMQ is and how to sign in to it.</summary>
public sealed class RabbitMqOptions
{
    /// <summary>The broker's host name or address. Default <c>localhost</c>.</summary>
    public string Host { get; set; } = "localhost";

    /// <summary>The AMQP port. Default 5672 (5671 is usual with TLS).</summary>
    public int Port { get; set; } = 5672;

    /// <summary>The virtual host. Default <c>/</c>.</summary>
    public string VirtualHost { get; set; } = "/";

    /// <summary>The user. Default <c>guest</c> (which RabbitMQ accepts from localhost only).</summary>
    public string Username { get; set; } = "guest";

    /// <summary>The password. Default <c>guest</c>.</summary>
    public string Password { get; set; } = "guest";

    /// <summary>Whether to speak TLS to the broker. Default false.</summary>
    public bool UseTls { get; set; }

    /// <summary>The name the broker's certificate must carry, when it is not <see cref="Host"/>.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>Where the broker is, for messages: <c>amqp://host:port/vhost</c>, without the password.</summary>
    public string Describe() => $"{(UseTls ? "amqps" : "amqp")}://{Username}@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";

    /// <summary>Reads an <c>amqp://user:password@host:port/vhost</c> (or <c>amqps://</c>) address.</summary>
    /// <exception cref="ArgumentException">The address is not an AMQP URI.</exception>
    public static RabbitMqOptions FromUri(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("amqp" or "amqps"))
        {
            throw new ArgumentException($"'{uri}' is not an amqp:// or amqps:// address", nameof(uri));
        }

        var tls = parsed.Scheme == "amqps";
        var user = parsed.UserInfo.Split(':', 2);
        var path = parsed.AbsolutePath.TrimStart('/');
        return new RabbitMqOptions
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port < 0 ? (tls ? 5671 : 5672) : parsed.Port,
            VirtualHost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path),
            Username = user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : "guest",
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : "guest",
            UseTls = tls,
        };
    }

    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        WorkflowBusOptions.Check(!string.IsNullOrWhiteSpace(Host) && Uri.CheckHostName(Host) != UriHostNameType.Unknown, "RabbitMq:Host", Host, "must be a host name or address");
        WorkflowBusOptions.Check(Port is >= 1 and <= 65535, "RabbitMq:Port", Port, "must be from 1 to 65535");
        WorkflowBusOptions.Check(!string.IsNullOrEmpty(VirtualHost), "RabbitMq:VirtualHost", VirtualHost, "must not be empty (the default virtual host is '/')");
        WorkflowBusOptions.Check(!string.IsNullOrEmpty(Username), "RabbitMq:Username", Username, "must not be empty");
        WorkflowBusOptions.Check(Password is not null, "RabbitMq:Password", "(null)", "must be set");
    }
}
