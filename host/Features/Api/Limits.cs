namespace Workflows.Host.Features.Api;

/// <summary>Size limits of the API, section <c>Workflows:Limits</c>; each refusal names the limit.</summary>
internal sealed class ApiLimits
{
    /// <summary>The largest request body. Default 4 MiB.</summary>
    public long MaxRequestBytes { get; set; } = 4 << 20;

    /// <summary>The largest BPMN document deployed or validated. Default 2 MiB.</summary>
    public long MaxBpmnBytes { get; set; } = 2 << 20;

    /// <summary>The largest set of variables a command carries, as JSON. Default 256 KiB.</summary>
    public int MaxVariablesBytes { get; set; } = 256 << 10;

    /// <summary>The largest page of a list. Default 200.</summary>
    public int MaxPageSize { get; set; } = 200;

    /// <summary>The longest name, id or key a caller gives (journey, business key, message name, correlation key, message id, user, queue, variable name). Default 200.</summary>
    public int MaxNameLength { get; set; } = 200;

    /// <summary>The longest comment on a task. Default 4,000 characters.</summary>
    public int MaxCommentLength { get; set; } = 4000;

    /// <summary>The most holidays one calendar layer lists. Default 1,000 (thirty years of a country's and a branch's).</summary>
    public int MaxCalendarHolidays { get; set; } = 1000;

    /// <summary>The largest calendar layer, as the JSON document the engine keeps. Default 64 KiB.</summary>
    public int MaxCalendarBytes { get; set; } = 64 << 10;

    /// <summary>
    /// The longest request target (path and query) answered with a problem: longer is 414. Kestrel itself answers a
    /// request line over 64 KiB with a bare 414 before the host sees it. Default 8,192 characters.
    /// </summary>
    public int MaxUrlLength { get; set; } = 8192;

    /// <summary>The longest time-to-live of a published message. Default 30 days.</summary>
    public TimeSpan MaxMessageTimeToLive { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Kestrel's request line limit, above <see cref="MaxUrlLength"/> so that a long URL reaches the host and gets a problem.</summary>
    public const int KestrelRequestLineBytes = 64 << 10;

    public void Validate()
    {
        static void Positive(long value, string name)
        {
            if (value <= 0)
            {
                throw new ArgumentException($"Workflows:Limits:{name} = {value} must be positive");
            }
        }

        Positive(MaxRequestBytes, nameof(MaxRequestBytes));
        Positive(MaxBpmnBytes, nameof(MaxBpmnBytes));
        Positive(MaxVariablesBytes, nameof(MaxVariablesBytes));
        Positive(MaxPageSize, nameof(MaxPageSize));
        Positive(MaxNameLength, nameof(MaxNameLength));
        Positive(MaxCommentLength, nameof(MaxCommentLength));
        Positive(MaxMessageTimeToLive.Ticks, nameof(MaxMessageTimeToLive));
        Positive(MaxCalendarHolidays, nameof(MaxCalendarHolidays));
        Positive(MaxCalendarBytes, nameof(MaxCalendarBytes));
        Positive(MaxUrlLength, nameof(MaxUrlLength));
        if (MaxUrlLength > KestrelRequestLineBytes - 1024)
        {
            throw new ArgumentException($"Workflows:Limits:MaxUrlLength ({MaxUrlLength}) must leave room in Kestrel's request line of {KestrelRequestLineBytes:N0} bytes: at most {KestrelRequestLineBytes - 1024:N0}");
        }
        if (MaxBpmnBytes > MaxRequestBytes)
        {
            throw new ArgumentException($"Workflows:Limits:MaxBpmnBytes ({MaxBpmnBytes}) cannot exceed MaxRequestBytes ({MaxRequestBytes})");
        }
    }

    /// <exception cref="PayloadTooLargeException">The page asked for is larger than the limit.</exception>
    public int PageSize(int? asked, int fallback = 50) => asked switch
    {
        null => Math.Min(fallback, MaxPageSize),
        < 1 => throw new Engine.WorkflowInputException($"the page size {asked} must be at least 1"),
        var n when n > MaxPageSize => throw new PayloadTooLargeException($"the page size {n} is above the limit of {MaxPageSize} (Workflows:Limits:MaxPageSize)"),
        var n => n.Value,
    };
}

/// <summary>A request over one of the <see cref="ApiLimits"/>: 413.</summary>
internal sealed class PayloadTooLargeException(string message) : Exception(message);
