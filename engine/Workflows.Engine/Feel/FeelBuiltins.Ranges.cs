namespace Workflows.Engine.Feel;

/// <summary>The range built-ins of DMN 1.5 §10.3.4.9 (before, after, meets… coincides) and <c>range(from)</c>.</summary>
internal static partial class FeelBuiltins
{
    private static void DefineRangeFunctions(Action<string, string[], Func<FeelEvaluator, IReadOnlyList<object?>, object?>> def)
    {
        def("before", ["point1", "point2"], (ev, a) => Relate(a, (p, q) => Lt(p, q), (p, r) => Lt(p, r.Start) | (Eq(p, r.Start) & !r.StartIncluded),
            (r, p) => Lt(r.End, p) | (Eq(r.End, p) & !r.EndIncluded),
            (r, s) => Lt(r.End, s.Start) | ((!r.EndIncluded | !s.StartIncluded) & Eq(r.End, s.Start))));
        def("after", ["point1", "point2"], (ev, a) => Relate(a, (p, q) => Lt(q, p), (p, r) => Lt(r.End, p) | (Eq(p, r.End) & !r.EndIncluded),
            (r, p) => Lt(p, r.Start) | (Eq(r.Start, p) & !r.StartIncluded),
            (r, s) => Lt(s.End, r.Start) | ((!r.StartIncluded | !s.EndIncluded) & Eq(r.Start, s.End))));
        def("meets", ["range1", "range2"], (ev, a) => Relate(a, null, null, null, (r, s) => r.EndIncluded & s.StartIncluded & Eq(r.End, s.Start)));
        def("met by", ["range1", "range2"], (ev, a) => Relate(a, null, null, null, (r, s) => r.StartIncluded & s.EndIncluded & Eq(r.Start, s.End)));
        def("overlaps", ["range1", "range2"], (ev, a) => Relate(a, null, null, null, (r, s) =>
            (Lt(s.Start, r.End) | (Eq(r.End, s.Start) & r.EndIncluded & s.StartIncluded))
            & (Lt(r.Start, s.End) | (Eq(r.Start, s.End) & r.StartIncluded & s.EndIncluded))));
        def("overlaps before", ["range1", "range2"], (ev, a) => Relate(a, null, null, null, (r, s) =>
            (Lt(r.Start, s.Start) | (Eq(r.Start, s.Start) & r.StartIncluded & !s.StartIncluded))
            & (Lt(s.Start, r.End) | (Eq(r.End, s.Start) & r.EndIncluded & s.StartIncluded))
            & (Lt(r.End, s.End) | (Eq(r.End, s.End) & (!r.EndIncluded | s.EndIncluded)))));
        def("overlaps after", ["range1", "range2"], (ev, a) => Relate(a, null, null, null, (r, s) =>
            (Lt(s.Start, r.Start) | (Eq(s.Start, r.Start) & s.StartIncluded & !r.StartIncluded))
            & (Lt(r.Start, s.End) | (Eq(s.End, r.Start) & s.EndIncluded & r.StartIncluded))
            & (Lt(s.End, r.End) | (Eq(s.End, r.End) & (!s.EndIncluded | r.EndIncluded)))));
        def("finishes", ["point", "range"], (ev, a) => Relate(a, null, (p, r) => r.EndIncluded & Eq(r.End, p), null, (r, s) =>
            (r.EndIncluded == s.EndIncluded) & Eq(r.End, s.End) & (Lt(s.Start, r.Start) | (Eq(r.Start, s.Start) & (!r.StartIncluded | s.StartIncluded)))));
        def("finished by", ["range", "point"], (ev, a) => Relate(a, null, null, (r, p) => r.EndIncluded & Eq(r.End, p), (r, s) =>
            (r.EndIncluded == s.EndIncluded) & Eq(r.End, s.End) & (Lt(r.Start, s.Start) | (Eq(r.Start, s.Start) & (r.StartIncluded | !s.StartIncluded)))));
        def("includes", ["range", "point"], (ev, a) => Relate(a, null, null, Includes, Contains));
        def("during", ["point", "range"], (ev, a) => Relate(a, null, (p, r) => Includes(r, p), null, (r, s) => Contains(s, r)));
        def("starts", ["point", "range"], (ev, a) => Relate(a, null, (p, r) => r.StartIncluded & Eq(r.Start, p), null, (r, s) =>
            Eq(r.Start, s.Start) & (r.StartIncluded == s.StartIncluded) & (Lt(r.End, s.End) | (Eq(r.End, s.End) & (!r.EndIncluded | s.EndIncluded)))));
        def("started by", ["range", "point"], (ev, a) => Relate(a, null, null, (r, p) => r.StartIncluded & Eq(r.Start, p), (r, s) =>
            Eq(r.Start, s.Start) & (r.StartIncluded == s.StartIncluded) & (Lt(s.End, r.End) | (Eq(s.End, r.End) & (!s.EndIncluded | r.EndIncluded)))));
        def("coincides", ["point1", "point2"], (ev, a) => Relate(a, (p, q) => Eq(p, q), null, null, (r, s) =>
            Eq(r.Start, s.Start) & (r.StartIncluded == s.StartIncluded) & Eq(r.End, s.End) & (r.EndIncluded == s.EndIncluded)));
        def("range", ["from"], (ev, a) => a.Count == 1 && a[0] is string s ? RangeFromText(ev, s) : null);
    }

    private static bool? Includes(FeelRange r, object? p) =>
        (Lt(r.Start, p) & Lt(p, r.End)) | (Eq(r.Start, p) & r.StartIncluded) | (Eq(r.End, p) & r.EndIncluded);

    private static bool? Contains(FeelRange r, FeelRange s) =>
        (Lt(r.Start, s.Start) | (Eq(r.Start, s.Start) & (r.StartIncluded | !s.StartIncluded)))
        & (Lt(s.End, r.End) | (Eq(r.End, s.End) & (r.EndIncluded | !s.EndIncluded)));

    private static bool? Lt(object? a, object? b) => FeelValue.Compare(a, b) is { } c ? c < 0 : null;

    private static bool? Eq(object? a, object? b) => FeelValue.Compare(a, b) is { } c ? c == 0 : null;

    // Chooses the form the arguments take: two points, a point and a range, a range and a point, two ranges.
    private static object? Relate(IReadOnlyList<object?> a, Func<object, object, bool?>? points, Func<object, FeelRange, bool?>? pointRange,
        Func<FeelRange, object, bool?>? rangePoint, Func<FeelRange, FeelRange, bool?>? ranges) => a.Count != 2 || a[0] is null || a[1] is null ? null : (a[0], a[1]) switch
        {
            (FeelRange r, FeelRange s) => ranges?.Invoke(r, s),
            (FeelRange r, { } p) => rangePoint?.Invoke(r, p),
            ({ } p, FeelRange r) => pointRange?.Invoke(p, r),
            ({ } p, { } q) => points?.Invoke(p, q),
            _ => null,
        };

    // range("[1..3]"): a range literal, its end points literals or date, time and duration built-ins of a literal string.
    private static object? RangeFromText(FeelEvaluator ev, string text)
    {
        FeelNode node;
        try
        {
            node = FeelParser.Parse(text, ev.Limits.MaxDepth);
        }
        catch (FeelSyntaxException e)
        {
            return ev.Invalid($"'{text}' is not a range: {e.Message}");
        }

        if (node is not (RangeNode or ComparisonRangeNode) || !node.HasLiteralEndPoints)
        {
            return ev.Invalid($"'{text}' is not a range of literal end points");
        }

        if (node.Evaluate(ev, EmptyScope.Instance) is not FeelRange range)
        {
            return null;
        }

        if (range.Comparison is null && (range.Start is null && range.End is null
            || (range.Start is not null && range.End is not null && (FeelValue.TypeName(range.Start) != FeelValue.TypeName(range.End)
                || FeelValue.Compare(range.Start, range.End) is not { } order || order > 0))))
        {
            return ev.Invalid($"'{text}' is no range: its end points are of different kinds or in the wrong order");
        }

        return range;
    }
}
