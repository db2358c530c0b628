// The namespace is the public types', not the folder's: users' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine.Calendars;

/// <summary>
/// One version of one calendar layer (the group's, a country's, a branch's), in force from
/// <see cref="EffectiveFrom"/>. Whatever a layer leaves unset comes from the layer above it.
/// </summary>
public sealed record CalendarLayer(string Name, DateTimeOffset EffectiveFrom)
{
    /// <summary>An IANA time zone id (<c>Europe/Paris</c>); null keeps the upper layer's.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Working intervals of the weekdays this layer sets; the days it leaves out keep the upper layer's. An empty list makes a day non-working.</summary>
    public IReadOnlyDictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> Week { get; init; } = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>>();

    /// <summary>Dated holidays added by this layer.</summary>
    public IReadOnlyList<DateOnly> Holidays { get; init; } = [];

    /// <summary>Yearly holidays added by this layer.</summary>
    public IReadOnlyList<(int Month, int Day)> YearlyHolidays { get; init; } = [];

    /// <summary>Dates an upper layer makes holidays that are working days here.</summary>
    public IReadOnlyList<DateOnly> WorkingDays { get; init; } = [];
}

/// <summary>
/// Calendar layers and their dated versions. A calendar is a chain of layers, top first
/// (group → country → branch); resolving it at an instant takes each layer's version in force then and
/// lets the lower layers override the upper ones.
/// </summary>
public sealed class CalendarRegistry
{
    private readonly Dictionary<string, List<CalendarLayer>> _layers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    // Calendars already made, by the layer versions they were made of (in chain order): every SLA clock a command starts
    // or moves resolves its chain, and making one (its week, holiday sets, time zone) cost about a tenth of an HTTP
    // start's CPU. A version added empties it; so does its size limit.
    private readonly Dictionary<CalendarLayer[], BusinessCalendar?> _resolved = new(VersionsComparer.Instance);
    private const int MaxResolved = 1024;
    private CalendarLayer[] _inForce = [];

    /// <summary>
    /// Adds a version of a layer; a later <see cref="CalendarLayer.EffectiveFrom"/> replaces an earlier one
    /// from then on, and a version with the same name and effective time replaces the one there was.
    /// </summary>
    public void Add(CalendarLayer version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            throw new ArgumentException($"calendar layer '{version.Name}': '{zone}' is not a known time zone", nameof(version));
        }

        lock (_gate)
        {
            AddUnderGate(version);
        }
    }

    private void AddUnderGate(CalendarLayer version)
    {
        if (!_layers.TryGetValue(version.Name, out var versions))
        {
            _layers[version.Name] = versions = [];
        }

        versions.RemoveAll(v => v.EffectiveFrom == version.EffectiveFrom);
        versions.Add(version);
        versions.Sort((a, b) => a.EffectiveFrom.CompareTo(b.EffectiveFrom));
        _resolved.Clear();
    }

    /// <summary>Adds a version as <see cref="Add"/> does, and gives the version with the same effective time it replaced, if any.</summary>
    internal CalendarLayer? Replace(CalendarLayer version)
    {
        lock (_gate)
        {
            var replaced = _layers.TryGetValue(version.Name, out var versions) ? versions.Find(v => v.EffectiveFrom == version.EffectiveFrom) : null;
            AddUnderGate(version);
            return replaced;
        }
    }

    /// <summary>Takes back a version <see cref="Replace"/> added (its save failed), putting back the one it replaced.</summary>
    internal void Undo(CalendarLayer added, CalendarLayer? replaced)
    {
        lock (_gate)
        {
            if (_layers.TryGetValue(added.Name, out var versions))
            {
                versions.Remove(added);
                _resolved.Clear();
                if (replaced is not null)
                {
                    AddUnderGate(replaced);
                }
                else if (versions.Count == 0)
                {
                    _layers.Remove(added.Name);
                }
            }
        }
    }

    /// <summary>Whether a layer of this name has any version.</summary>
    public bool Contains(string name)
    {
        lock (_gate)
        {
            return _layers.ContainsKey(name);
        }
    }

    /// <summary>The first instant strictly between <paramref name="from"/> and <paramref name="to"/> at which a layer of the chain changes version, or null.</summary>
    internal DateTimeOffset? FirstChangeBetween(IReadOnlyList<string> chain, DateTimeOffset from, DateTimeOffset to)
    {
        // Loops, not a list of every change: every SLA clock a command starts or moves asks this of its chain.
        DateTimeOffset? first = null;
        lock (_gate)
        {
            for (var i = 0; i < chain.Count; i++)
            {
                if (!_layers.TryGetValue(chain[i], out var versions))
                {
                    continue;
                }

                foreach (var version in versions)
                {
                    // A layer's versions are kept in the order they take effect: its first one after `from` is its earliest.
                    if (version.EffectiveFrom > from)
                    {
                        if (version.EffectiveFrom < to && (first is null || version.EffectiveFrom < first))
                        {
                            first = version.EffectiveFrom;
                        }

                        break;
                    }
                }
            }
        }

        return first;
    }

    /// <summary>
    /// The first moment at which <paramref name="chain"/> would have no working time in its week were
    /// <paramref name="candidate"/> saved, while the candidate is in force (until its layer's next version); null when none.
    /// </summary>
    /// <remarks>
    /// A clock on such a chain could never end: every computation on it fails. Moments at which a layer of the chain is
    /// unknown or has no version yet are not judged here (they fail on their own, naming the layer).
    /// </remarks>
    internal DateTimeOffset? FirstClosedWeek(IReadOnlyList<string> chain, CalendarLayer candidate)
    {
        lock (_gate)
        {
            var until = _layers.TryGetValue(candidate.Name, out var own) && own.FirstOrDefault(v => v.EffectiveFrom > candidate.EffectiveFrom) is { } next
                ? next.EffectiveFrom
                : DateTimeOffset.MaxValue;
            var moments = chain.Where(name => name != candidate.Name && _layers.ContainsKey(name))
                .SelectMany(name => _layers[name].Select(v => v.EffectiveFrom).Where(t => t > candidate.EffectiveFrom && t < until))
                .Prepend(candidate.EffectiveFrom).Distinct().Order();
            foreach (var at in moments)
            {
                var week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>>();
                var whole = true;
                foreach (var name in chain)
                {
                    var version = name == candidate.Name ? candidate : _layers.GetValueOrDefault(name)?.LastOrDefault(v => v.EffectiveFrom <= at);
                    if (version is null)
                    {
                        whole = false;
                        break;
                    }

                    foreach (var (day, intervals) in version.Week)
                    {
                        week[day] = intervals;
                    }
                }

                if (whole && week.Values.All(intervals => intervals.Count == 0))
                {
                    return at;
                }
            }
        }

        return null;
    }

    /// <summary>The calendar a chain of layers (top first) makes at <paramref name="at"/>.</summary>
    /// <exception cref="ArgumentException">A layer is unknown, has no version yet at that time, or the chain sets no time zone or no working time.</exception>
    public BusinessCalendar Resolve(IReadOnlyList<string> chain, DateTimeOffset at) =>
        ResolveOpen(chain, at) ?? throw new ArgumentException($"calendar '{string.Join("/", chain)}' has no working time in its week", nameof(chain));

    /// <summary>
    /// As <see cref="Resolve"/>, or null when the chain's week has no working time at <paramref name="at"/>: a stretch no
    /// working time passes in (a layer saved before such layers were refused), which a clock measures as none.
    /// </summary>
    /// <exception cref="ArgumentException">A layer is unknown, has no version yet at that time, or the chain sets no time zone.</exception>
    internal BusinessCalendar? ResolveOpen(IReadOnlyList<string> chain, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(chain);
        lock (_gate)
        {
            // The versions in force, in an array kept for the lookup (under the gate): a copy only for a chain not resolved
            // yet, as every clock a command starts or measures asks this several times.
            var inForce = _inForce.Length == chain.Count ? _inForce : _inForce = new CalendarLayer[chain.Count];
            for (var i = 0; i < chain.Count; i++)
            {
                var name = chain[i];
                if (!_layers.TryGetValue(name, out var versions))
                {
                    throw new ArgumentException($"no calendar layer named '{name}'", nameof(chain));
                }

                inForce[i] = InForce(versions, at)
                    ?? throw new ArgumentException($"calendar layer '{name}' has no version in force at {at:O}", nameof(chain));
            }

            if (_resolved.TryGetValue(inForce, out var made))
            {
                return made;
            }

            inForce = [.. inForce];
            var calendar = Make(chain, inForce);
            if (_resolved.Count >= MaxResolved)
            {
                _resolved.Clear();
            }

            _resolved[inForce] = calendar;
            return calendar;
        }
    }

    // The last version taking effect at or before the instant (versions are kept in the order they take effect).
    private static CalendarLayer? InForce(List<CalendarLayer> versions, DateTimeOffset at)
    {
        for (var i = versions.Count - 1; i >= 0; i--)
        {
            if (versions[i].EffectiveFrom <= at)
            {
                return versions[i];
            }
        }

        return null;
    }

    // The calendar of the versions in force of a chain's layers, the lower layers overriding the upper ones.
    private static BusinessCalendar? Make(IReadOnlyList<string> chain, CalendarLayer[] inForce)
    {
        string? zone = null;
        var week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>>();
        var holidays = new HashSet<DateOnly>();
        var yearly = new HashSet<(int, int)>();
        var workingDays = new HashSet<DateOnly>();
        foreach (var version in inForce)
        {
            zone = version.TimeZone ?? zone;
            foreach (var (day, intervals) in version.Week)
            {
                week[day] = intervals;
            }

            // A lower layer's holiday beats an upper layer's working day, and the other way round.
            holidays.UnionWith(version.Holidays);
            workingDays.ExceptWith(version.Holidays);
            holidays.ExceptWith(version.WorkingDays);
            workingDays.UnionWith(version.WorkingDays);
            yearly.UnionWith(version.YearlyHolidays);
        }

        if (zone is null)
        {
            throw new ArgumentException($"the calendar {string.Join(" → ", chain)} sets no time zone", nameof(chain));
        }

        if (week.Values.All(intervals => intervals.Count == 0))
        {
            return null;
        }

        return new BusinessCalendar(string.Join("/", chain), TimeZoneInfo.FindSystemTimeZoneById(zone), week, holidays, yearly, workingDays);
    }

    // Two lists of layer versions are the same calendar when they hold the very same versions in the same order.
    private sealed class VersionsComparer : IEqualityComparer<CalendarLayer[]>
    {
        public static readonly VersionsComparer Instance = new();

        public bool Equals(CalendarLayer[]? x, CalendarLayer[]? y)
        {
            if (x is null || y is null || x.Length != y.Length)
            {
                return ReferenceEquals(x, y);
            }

            for (var i = 0; i < x.Length; i++)
            {
                if (!ReferenceEquals(x[i], y[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(CalendarLayer[] obj)
        {
            var hash = new HashCode();
            foreach (var version in obj)
            {
                hash.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(version));
            }

            return hash.ToHashCode();
        }
    }
}
