namespace Workflows.Engine.Feel;

/// <summary>Resolves names while an expression runs: instance variables, context entries, loop variables.</summary>
internal interface IFeelScope
{
    bool TryResolve(string name, out object? value);
}

internal sealed class ContextScope(FeelContext context, IFeelScope? parent) : IFeelScope
{
    public bool TryResolve(string name, out object? value) =>
        context.TryGetValue(name, out value) || (parent is not null && parent.TryResolve(name, out value));
}

internal sealed class NameScope(string name, object? value, IFeelScope? parent) : IFeelScope
{
    public bool TryResolve(string n, out object? v)
    {
        if (n == name)
        {
            v = value;
            return true;
        }

        v = null;
        return parent is not null && parent.TryResolve(n, out v);
    }
}

internal sealed class EmptyScope : IFeelScope
{
    public static readonly EmptyScope Instance = new();

    public bool TryResolve(string name, out object? value)
    {
        value = null;
        return false;
    }
}

internal abstract class FeelNode
{
    /// <summary>For <c>range(from)</c>: whether the node is a range whose end points are literals.</summary>
    public virtual bool HasLiteralEndPoints => false;

    /// <summary>Whether the node is a literal end point: a literal, a negated one, or date, time or duration of a literal string.</summary>
    public virtual bool IsLiteralEndPoint => false;

    /// <summary>Evaluates the node, spending a step of the budget (and checking the stack) on the way in.</summary>
    public object? Evaluate(FeelEvaluator ev, IFeelScope scope)
    {
        ev.EnterNode();
        return EvaluateCore(ev, scope);
    }

    protected abstract object? EvaluateCore(FeelEvaluator ev, IFeelScope scope);
}

internal sealed class LiteralNode(object? value) : FeelNode
{
    public override bool IsLiteralEndPoint => true;

    public object? Value { get; } = value;

    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) => Value;
}

internal sealed class NameNode(string name) : FeelNode
{
    public string Name { get; } = name;

    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        if (scope.TryResolve(Name, out var value))
        {
            return value;
        }

        if (FeelBuiltins.TryGet(Name, out var function))
        {
            return function;
        }

        ev.Warn($"no variable found with name '{Name}'");
        return null;
    }
}

internal sealed class NegateNode(FeelNode operand) : FeelNode
{
    public override bool IsLiteralEndPoint => operand is LiteralNode;

    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) => operand.Evaluate(ev, scope) switch
    {
        decimal d => -d,
        TimeSpan t => t.Negate(),
        FeelYearMonthDuration y => new FeelYearMonthDuration(-y.TotalMonths),
        var other => ev.Invalid($"can't negate {FeelValue.TypeName(other)}"),
    };
}

internal sealed class ArithmeticNode(char op, FeelNode left, FeelNode right) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) =>
        FeelArithmetic.Apply(ev, op, left.Evaluate(ev, scope), right.Evaluate(ev, scope));
}

internal sealed class CompareNode(string op, FeelNode left, FeelNode right) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) =>
        FeelArithmetic.CompareWith(ev, op, left.Evaluate(ev, scope), right.Evaluate(ev, scope));
}

internal sealed class BetweenNode(FeelNode value, FeelNode low, FeelNode high) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        var v = value.Evaluate(ev, scope);
        var lo = FeelValue.Compare(v, low.Evaluate(ev, scope));
        var hi = FeelValue.Compare(v, high.Evaluate(ev, scope));
        return lo is null || hi is null ? null : lo >= 0 && hi <= 0;
    }
}

internal sealed class AndNode(FeelNode left, FeelNode right) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        var l = left.Evaluate(ev, scope);
        if (l is false)
        {
            return false;
        }

        var r = right.Evaluate(ev, scope);
        return (l, r) switch
        {
            (_, false) => false,
            (true, true) => true,
            _ => null,
        };
    }
}

internal sealed class OrNode(FeelNode left, FeelNode right) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        var l = left.Evaluate(ev, scope);
        if (l is true)
        {
            return true;
        }

        var r = right.Evaluate(ev, scope);
        return (l, r) switch
        {
            (_, true) => true,
            (false, false) => false,
            _ => null,
        };
    }
}

internal sealed class IfNode(FeelNode condition, FeelNode then, FeelNode otherwise) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) =>
        condition.Evaluate(ev, scope) is true ? then.Evaluate(ev, scope) : otherwise.Evaluate(ev, scope);
}

internal sealed class ListNode(List<FeelNode> items) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        ev.Allocate(items.Count, "list");
        var list = new List<object?>(items.Count);
        foreach (var item in items)
        {
            list.Add(item.Evaluate(ev, scope));
        }

        return list;
    }
}

internal sealed class ContextNode(List<(string Key, FeelNode Value)> entries) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        // Later entries may refer to earlier ones: {a: 1, b: a + 1}.
        ev.Allocate(entries.Count, "context");
        var context = new FeelContext(entries.Count);
        var inner = new ContextScope(context, scope);
        foreach (var (key, value) in entries)
        {
            context[key] = value.Evaluate(ev, inner);
        }

        return context;
    }
}

internal sealed class RangeNode(FeelNode start, bool startIncluded, FeelNode end, bool endIncluded) : FeelNode
{
    public override bool HasLiteralEndPoints => start.IsLiteralEndPoint && end.IsLiteralEndPoint;

    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) =>
        new FeelRange(start.Evaluate(ev, scope), startIncluded, end.Evaluate(ev, scope), endIncluded);
}

internal sealed class PathNode(FeelNode target, string name) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) => Select(ev, target.Evaluate(ev, scope), name);

    internal static object? Select(FeelEvaluator ev, object? value, string name)
    {
        switch (value)
        {
            case null:
                return null;
            case FeelContext context:
                return context[name];
            case List<object?> list:
                ev.Allocate(list.Count, "list of a path's values");
                var mapped = new List<object?>(list.Count);
                foreach (var item in list)
                {
                    ev.Step();
                    mapped.Add(Select(ev, item, name));
                }

                return mapped;
            default:
                var property = FeelBuiltins.TemporalProperty(value, name);
                if (property is null)
                {
                    ev.Warn($"no property '{name}' on {FeelValue.TypeName(value)}");
                }

                return property;
        }
    }
}

internal sealed class FilterNode(FeelNode target, FeelNode filter) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        var value = target.Evaluate(ev, scope);
        if (value is null)
        {
            return null;
        }

        var list = value as List<object?> ?? [value];

        // A filter that is a number without reference to the item is an index (1-based; negative counts from the end).
        if (filter is LiteralNode { Value: decimal } || filter is NegateNode || filter is NameNode)
        {
            var probe = ev.Quietly(() => filter.Evaluate(ev, scope));
            if (probe is decimal index)
            {
                var i = (int)index;
                var at = i > 0 ? i - 1 : list.Count + i;
                return at >= 0 && at < list.Count && i != 0 ? list[at] : null;
            }
        }

        var result = new List<object?>();
        foreach (var item in list)
        {
            ev.Step();
            IFeelScope itemScope = item is FeelContext ctx
                ? new NameScope("item", item, new ContextScope(ctx, scope))
                : new NameScope("item", item, scope);
            if (filter.Evaluate(ev, itemScope) is true)
            {
                ev.Allocate(1, "filtered list");
                result.Add(item);
            }
        }

        return result;
    }
}

internal sealed class InvokeNode(FeelNode target, List<FeelNode> positional, List<(string Name, FeelNode Value)>? named) : FeelNode
{
    public override bool IsLiteralEndPoint =>
        target is NameNode { Name: "date" or "time" or "date and time" or "duration" } && named is null && positional is [LiteralNode { Value: string }];

    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        if (target.Evaluate(ev, scope) is not FeelFunction function)
        {
            return ev.Invalid($"no function found with name '{(target is NameNode n ? n.Name : "?")}'");
        }

        IReadOnlyList<object?> args;
        if (named is null && positional.Count > function.Parameters.Count && !function.IsVariadic)
        {
            return ev.Invalid($"{function.Name}() takes at most {function.Parameters.Count} argument(s), not {positional.Count}");
        }

        var parameters = function.Parameters;
        if (named is not null)
        {
            // A built-in with several forms (time(from) and time(hour, minute, second, offset)) takes the form the names match.
            parameters = function.Overloads?.FirstOrDefault(o => named.TrueForAll(a => o.Contains(a.Name))) ?? function.Parameters;
            if (named.Find(a => !parameters.Contains(a.Name)) is { Name: { } unknown })
            {
                return ev.Invalid($"{function.Name}() has no parameter '{unknown}'");
            }
        }

        if (named is null)
        {
            var values = new object?[positional.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = positional[i].Evaluate(ev, scope);
            }

            args = values;
        }
        else
        {
            // Parameters not named are null, as when they are left off the end: a gap is filled, the tail dropped.
            var values = new List<object?>(parameters.Count);
            var last = parameters.Select((p, i) => named.Exists(a => a.Name == p) ? i : -1).Max();
            for (var i = 0; i <= last; i++)
            {
                var match = named.FindIndex(a => a.Name == parameters[i]);
                values.Add(match < 0 ? null : named[match].Value.Evaluate(ev, scope));
            }

            args = values;
        }

        ev.EnterCall(function.Name);
        var result = function.Invoke(ev, args);
        ev.ExitCall();
        return ev.CheckResult(result, function);
    }
}

internal sealed class LambdaNode(List<string> parameters, FeelNode body) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) =>
        new FeelFunction("anonymous", parameters, (evaluator, args) =>
        {
            var inner = scope;
            for (var i = 0; i < parameters.Count; i++)
            {
                inner = new NameScope(parameters[i], i < args.Count ? args[i] : null, inner);
            }

            return body.Evaluate(evaluator, inner);
        });
}

/// <summary><c>function(a) external {java: {…}}</c>: see <see cref="FeelExternal"/>.</summary>
internal sealed class ExternalFunctionNode(List<string> parameters, FeelNode definition) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) =>
        FeelExternal.Make("external", parameters, definition.Evaluate(ev, scope));
}

internal sealed class ForNode(List<(string Name, FeelNode Source, FeelNode? RangeEnd)> iterations, FeelNode body, bool usesPartial) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        var results = new List<object?>();
        return Iterate(ev, scope, 0, results) ? results : null;
    }

    private bool Iterate(FeelEvaluator ev, IFeelScope scope, int depth, List<object?> results)
    {
        if (depth == iterations.Count)
        {
            // "partial" is the list built so far, as the spec names it: a copy, so that a body returning
            // it never puts the list inside itself (a cycle no writer could end). Copied only when used.
            ev.CheckCollection(results.Count + 1, "the list the for expression makes");
            ev.Allocate(1, "list the for expression makes");
            IFeelScope bodyScope = scope;
            if (usesPartial)
            {
                ev.Step(results.Count);
                ev.Allocate(results.Count, "copy of partial");
                bodyScope = new NameScope("partial", new List<object?>(results), scope);
            }

            results.Add(body.Evaluate(ev, bodyScope));
            return true;
        }

        var items = FeelIteration.Items(ev, iterations[depth].Source, iterations[depth].RangeEnd, scope);
        if (items is null)
        {
            return false;
        }

        foreach (var item in items)
        {
            ev.Step();
            if (!Iterate(ev, new NameScope(iterations[depth].Name, item, scope), depth + 1, results))
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed class QuantifiedNode(bool every, List<(string Name, FeelNode Source, FeelNode? RangeEnd)> iterations, FeelNode condition) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) => Check(ev, scope, 0);

    private object? Check(FeelEvaluator ev, IFeelScope scope, int depth)
    {
        if (depth == iterations.Count)
        {
            return condition.Evaluate(ev, scope);
        }

        var items = FeelIteration.Items(ev, iterations[depth].Source, iterations[depth].RangeEnd, scope);
        if (items is null)
        {
            return null;
        }

        // every is a conjunction, some a disjunction: a result that is no boolean makes null unless another decides.
        var undecided = false;
        foreach (var item in items)
        {
            ev.Step();
            var result = Check(ev, new NameScope(iterations[depth].Name, item, scope), depth + 1);
            if (every && result is false)
            {
                return false;
            }

            if (!every && result is true)
            {
                return true;
            }

            undecided |= result is not bool;
        }

        return undecided ? null : every;
    }
}

internal static class FeelIteration
{
    public static List<object?>? Items(FeelEvaluator ev, FeelNode source, FeelNode? rangeEnd, IFeelScope scope)
    {
        var start = source.Evaluate(ev, scope);
        if (rangeEnd is not null)
        {
            return Range(ev, start, rangeEnd.Evaluate(ev, scope));
        }

        return start switch
        {
            List<object?> list => list,
            FeelRange { Start: decimal s, End: decimal e } r => Range(ev, r.StartIncluded ? s : s + 1, r.EndIncluded ? e : e - 1),
            null => ev.Invalid("can't iterate over null") as List<object?>,
            var single => [single],
        };
    }

    private static List<object?>? Range(FeelEvaluator ev, object? from, object? to)
    {
        if (from is not decimal f || to is not decimal t)
        {
            ev.Warn("a for-range needs two numbers");
            return null;
        }

        // The size is checked before a single item is made: `for x in 1..100000000` stops at once.
        var size = Math.Abs(decimal.Truncate(t) - decimal.Truncate(f)) + 1;
        ev.CheckCollection(size, "the range");
        ev.Allocate((long)size, "range");
        var step = f <= t ? 1 : -1;
        var list = new List<object?>();
        for (var i = f; step > 0 ? i <= t : i >= t; i += step)
        {
            list.Add(i);
        }

        return list;
    }
}

internal sealed class InNode(FeelNode value, UnaryTestsNode tests) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) =>
        tests.Evaluate(ev, new NameScope("?", value.Evaluate(ev, scope), scope));
}

internal sealed class InstanceOfNode(FeelNode value, FeelType type) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) =>
        type.Accepts(ev, value.Evaluate(ev, scope)) ?? ev.Invalid($"unknown type '{type}'");
}

/// <summary>A range written as a unary comparison, <c>(&lt; 10)</c>: its missing end is unbounded, not null.</summary>
internal sealed class ComparisonRangeNode(string op, FeelNode operand) : FeelNode
{
    public override bool HasLiteralEndPoints => operand.IsLiteralEndPoint;

    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        var value = operand.Evaluate(ev, scope);
        return op switch
        {
            "<" => new FeelRange(null, false, value, false) { Comparison = op },
            "<=" => new FeelRange(null, false, value, true) { Comparison = op },
            ">" => new FeelRange(value, false, null, false) { Comparison = op },
            ">=" => new FeelRange(value, true, null, false) { Comparison = op },
            "=" => new FeelRange(value, true, value, true) { Comparison = op },
            _ => new FeelRange(value, false, value, false) { Comparison = op },
        };
    }
}

/// <summary>Unary tests: true when any test accepts the input value, bound to the name <c>?</c>.</summary>
internal sealed class UnaryTestsNode(List<FeelNode> tests) : FeelNode
{
    public IReadOnlyList<FeelNode> Tests => tests;

    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        var sawNull = false;
        foreach (var test in tests)
        {
            switch (test.Evaluate(ev, scope))
            {
                case true:
                    return true;
                case null:
                    sawNull = true;
                    break;
            }
        }

        return sawNull ? null : false;
    }
}

internal sealed class AnyTestNode : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) => true;
}

internal sealed class ComparisonTestNode(string op, FeelNode operand) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        scope.TryResolve("?", out var input);
        return FeelArithmetic.CompareWith(ev, op, input, operand.Evaluate(ev, scope));
    }
}

internal sealed class NotTestsNode(FeelNode tests) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope) => tests.Evaluate(ev, scope) switch
    {
        true => false,
        false => true,
        _ => null,
    };
}

internal sealed class ValueTestNode(FeelNode expected, bool referencesInput) : FeelNode
{
    protected override object? EvaluateCore(FeelEvaluator ev, IFeelScope scope)
    {
        scope.TryResolve("?", out var input);
        var value = expected.Evaluate(ev, scope);
        return value switch
        {
            // "? > 3", "contains(?, "a")": an expression about the input is the test's answer.
            _ when referencesInput => value as bool?,
            bool b when input is not bool && ReferencesNothingComparable(expected) => b,
            FeelRange range => range.Contains(input),
            // "x in [1, [2..4]]": an item of the list, or within a range of it; a list input may equal the whole.
            List<object?> list => list.Any(item => item is FeelRange r ? r.Contains(input) == true : FeelValue.AreEqual(item, input) == true)
                || (input is List<object?> && FeelValue.AreEqual(input, value) == true),
            _ => FeelValue.AreEqual(input, value),
        };
    }

    // "x in ? > 3" style tests evaluate to a boolean about the input itself.
    private static bool ReferencesNothingComparable(FeelNode node) => node is CompareNode or AndNode or OrNode or InvokeNode;
}
