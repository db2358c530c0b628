using Workflows.Engine.Feel;

namespace Workflows.Engine.Decisions;

/// <summary>How a decision table chooses among the rules that match (DMN 1.5 §8.2.11).</summary>
internal enum HitPolicy
{
    Unique,
    First,
    Priority,
    Any,
    Collect,
    RuleOrder,
    OutputOrder,
}

/// <summary>What a COLLECT table makes of its outputs.</summary>
internal enum Aggregation
{
    None,
    Sum,
    Min,
    Max,
    Count,
}

internal sealed record TableInput(FeelExpression? Expression, string Label, FeelExpression? AllowedValues, string? TypeRef);

internal sealed record TableOutput(string? Name, string? TypeRef, FeelExpression? AllowedValues, FeelExpression? Default);

internal sealed record TableRule(string Id, int Index, IReadOnlyList<FeelExpression?> Entries, IReadOnlyList<FeelExpression?> Outputs);

/// <summary>A decision table: evaluates its inputs once, tests each rule, and applies the hit policy to the matches.</summary>
internal sealed class DecisionTableBox(
    string? typeRef, HitPolicy policy, Aggregation aggregation, IReadOnlyList<TableInput> inputs, IReadOnlyList<TableOutput> outputs,
    IReadOnlyList<TableRule> rules, string? error) : BoxedExpression(typeRef)
{
    public HitPolicy Policy => policy;

    public Aggregation Aggregation => aggregation;

    public IReadOnlyList<TableOutput> Outputs => outputs;

    public override object? Evaluate(DecisionRun run, IFeelScope scope)
    {
        var ev = run.Evaluator;
        if (error is not null)
        {
            return ev.Invalid(error);
        }

        var values = new object?[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            values[i] = input.Expression?.Evaluate(ev, scope);
            if (input.AllowedValues is not null && values[i] is not null
                && input.AllowedValues.Evaluate(ev, new NameScope("?", values[i], scope)) is not true)
            {
                return ev.Invalid($"the input '{input.Label}' is {FeelValue.ToDisplayString(values[i], 200)}, not one of its input values");
            }
        }

        run.TableInputs(inputs, values);
        var matched = new List<TableRule>();
        foreach (var rule in rules)
        {
            if (Matches(ev, scope, rule, values))
            {
                matched.Add(rule);

                // FIRST "returns the output of the first hit by rule order (and evaluation can halt)" (DMN 1.5 §8.2.11):
                // the rules below it, a catch-all most often, are neither tested nor evaluated (review10-18 F9).
                if (policy == HitPolicy.First)
                {
                    break;
                }
            }
        }

        if (matched.Count == 0)
        {
            return NoMatch(run, scope);
        }

        // Only the outputs the hit policy uses are evaluated: UNIQUE fails on a second match before any output is.
        if (policy == HitPolicy.Unique && matched.Count > 1)
        {
            return ev.Invalid($"the UNIQUE table matched rules {string.Join(", ", matched.Select(r => r.Index))}");
        }

        var results = new List<object?>(matched.Count);
        foreach (var rule in matched)
        {
            var result = Output(run, scope, rule, out var invalid);
            if (invalid)
            {
                return null;
            }

            results.Add(result);
        }

        return Choose(run, scope, matched, results);
    }

    private static bool Matches(FeelEvaluator ev, IFeelScope scope, TableRule rule, object?[] values)
    {
        for (var i = 0; i < rule.Entries.Count && i < values.Length; i++)
        {
            var entry = rule.Entries[i];
            if (entry is null || entry.IsAnyTest)
            {
                continue;
            }

            if (entry.Evaluate(ev, new NameScope("?", values[i], scope)) is not true)
            {
                return false;
            }
        }

        return true;
    }

    private object? Output(DecisionRun run, IFeelScope scope, TableRule rule, out bool invalid)
    {
        invalid = false;
        var ev = run.Evaluator;
        var row = new object?[outputs.Count];
        for (var i = 0; i < outputs.Count; i++)
        {
            var value = i < rule.Outputs.Count ? rule.Outputs[i]?.Evaluate(ev, scope) : null;
            var output = outputs[i];
            if (output.AllowedValues is not null && value is not null && output.AllowedValues.Evaluate(ev, new NameScope("?", value, scope)) is not true)
            {
                ev.Warn($"rule {rule.Index} gives {FeelValue.ToDisplayString(value, 200)}, not one of the output values of '{output.Name}'");
                invalid = true;
                return null;
            }

            row[i] = run.Types.Coerce(run, output.TypeRef, value, output.Name ?? "the output");
        }

        return Shape(row);
    }

    // One output is its value; several are a context by their names.
    private object? Shape(object?[] row)
    {
        if (outputs.Count == 1)
        {
            return row[0];
        }

        var context = new FeelContext(outputs.Count);
        for (var i = 0; i < outputs.Count; i++)
        {
            context[outputs[i].Name ?? $"output {i + 1}"] = row[i];
        }

        return context;
    }

    private object? NoMatch(DecisionRun run, IFeelScope scope)
    {
        if (outputs.Any(o => o.Default is not null))
        {
            var row = outputs.Select(o => o.Default?.Evaluate(run.Evaluator, scope)).ToArray();
            return Shape(row);
        }

        return policy is HitPolicy.Collect or HitPolicy.RuleOrder or HitPolicy.OutputOrder
            ? aggregation switch
            {
                Aggregation.None => new List<object?>(),
                Aggregation.Count => 0m,
                _ => null,
            }
            : null;
    }

    private object? Choose(DecisionRun run, IFeelScope scope, List<TableRule> matched, List<object?> results)
    {
        var ev = run.Evaluator;
        switch (policy)
        {
            case HitPolicy.Unique:
                if (matched.Count > 1)
                {
                    return ev.Invalid($"the UNIQUE table matched rules {string.Join(", ", matched.Select(r => r.Index))}");
                }

                run.Matched(matched);
                return results[0];
            case HitPolicy.Any:
                if (results.Skip(1).Any(r => FeelValue.AreEqual(r, results[0]) != true))
                {
                    return ev.Invalid($"the ANY table matched rules {string.Join(", ", matched.Select(r => r.Index))} with different outputs");
                }

                run.Matched(matched);
                return results[0];
            case HitPolicy.First:
                run.Matched(matched.Take(1));
                return results[0];
            case HitPolicy.Priority:
                {
                    var order = ByPriority(ev, scope, results);
                    run.Matched([matched[order[0]]]);
                    return results[order[0]];
                }

            case HitPolicy.OutputOrder:
                {
                    var order = ByPriority(ev, scope, results);
                    run.Matched(order.Select(i => matched[i]));
                    return order.Select(i => results[i]).ToList();
                }

            default:
                run.Matched(matched);
                return Aggregate(ev, results);
        }
    }

    private object? Aggregate(FeelEvaluator ev, List<object?> results)
    {
        if (aggregation == Aggregation.None)
        {
            return results;
        }

        if (outputs.Count != 1)
        {
            return ev.Invalid("an aggregation needs a table with one output");
        }

        var values = results.Where(r => r is not null).ToList();
        switch (aggregation)
        {
            case Aggregation.Count:
                return (decimal)values.Count;
            case Aggregation.Sum:
                return values.Count == 0 ? null : values.All(v => v is decimal) ? values.Sum(v => (decimal)v!) : ev.Invalid("SUM needs numbers");
            default:
                if (values.Count == 0)
                {
                    return null;
                }

                var best = values[0];
                foreach (var value in values.Skip(1))
                {
                    var c = FeelValue.Compare(value, best);
                    if (c is null)
                    {
                        return ev.Invalid("MIN and MAX need values that can be ordered");
                    }

                    if ((aggregation == Aggregation.Min && c < 0) || (aggregation == Aggregation.Max && c > 0))
                    {
                        best = value;
                    }
                }

                return best;
        }
    }

    // Indexes of the results, highest priority first: the order of each output's values, output by output; stable for ties.
    private List<int> ByPriority(FeelEvaluator ev, IFeelScope scope, List<object?> results)
    {
        var ranks = results.Select(r => outputs.Select((o, i) => Rank(ev, scope, o, outputs.Count == 1 ? r : (r as FeelContext)?[o.Name ?? ""])).ToArray()).ToList();
        return Enumerable.Range(0, results.Count).OrderBy(i => i, Comparer<int>.Create((a, b) =>
        {
            for (var k = 0; k < outputs.Count; k++)
            {
                var c = ranks[a][k].CompareTo(ranks[b][k]);
                if (c != 0)
                {
                    return c;
                }
            }

            return a.CompareTo(b);
        })).ToList();
    }

    private static int Rank(FeelEvaluator ev, IFeelScope scope, TableOutput output, object? value) =>
        output.AllowedValues?.IndexOfTest(ev, new NameScope("?", value, scope)) is { } i and >= 0 ? i : int.MaxValue;
}
