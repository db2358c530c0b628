namespace Workflows.Engine.Feel;

/// <summary>A FEEL type as <c>instance of</c> and typed parameters write it: a name, or a list, range, context or function type.</summary>
internal sealed record FeelType(string Name, IReadOnlyList<FeelType> Arguments, IReadOnlyList<(string Name, FeelType Type)> Fields, FeelType? Result)
{
    public FeelType(string name)
        : this(name, [], [], null)
    {
    }

    private static readonly HashSet<string> s_builtIns =
    [
        "number", "string", "boolean", "date", "time", "date and time", "days and time duration", "years and months duration",
        "list", "context", "function", "range",
    ];

    /// <summary>Whether <paramref name="value"/> is of this type; null when the type is unknown (a name neither FEEL nor <see cref="FeelEvaluator.NamedTypes"/> knows).</summary>
    public bool? Accepts(FeelEvaluator ev, object? value)
    {
        switch (Name)
        {
            case "Any":
                return value is not null;
            case "Null":
                return value is null;
            case "list" when Arguments.Count == 1:
                return value is List<object?> list && list.All(x => x is null || Arguments[0].Accepts(ev, x) == true);
            case "range" when Arguments.Count == 1:
                return value is FeelRange r && (r.Start is null || Arguments[0].Accepts(ev, r.Start) == true) && (r.End is null || Arguments[0].Accepts(ev, r.End) == true);
            case "context" when Fields.Count > 0:
                return value is FeelContext c && Fields.All(f => c.TryGetValue(f.Name, out var x) && (x is null || f.Type.Accepts(ev, x) == true));
            case "function" when Result is not null:
                return value is FeelFunction;
        }

        if (s_builtIns.Contains(Name))
        {
            return value is not null && FeelValue.TypeName(value) == Name;
        }

        return ev.NamedTypes?.Invoke(Name, value);
    }

    public override string ToString() => Name;
}
