using Workflows.Engine.Feel;

namespace Workflows.Engine.Decisions;

// The parsed model: immutable after the read, one type per DRG element and per boxed expression.

/// <summary>An element of the decision requirements graph; <see cref="Line"/> is where the reader found it.</summary>
internal abstract class DrgElement(string id, string name, int line)
{
    public string Id { get; } = id;

    public string Name { get; } = name;

    public int Line { get; } = line;
}

internal sealed class InputData(string id, string name, int line, string? typeRef) : DrgElement(id, name, line)
{
    public string? TypeRef { get; } = typeRef;
}

/// <summary>What a decision or a knowledge model requires, by the ids its hrefs name.</summary>
internal sealed class Requirements
{
    public List<string> Decisions { get; } = [];

    public List<string> Inputs { get; } = [];

    public List<string> Knowledge { get; } = [];
}

internal sealed class Decision(string id, string name, int line, string? typeRef, BoxedExpression? expression) : DrgElement(id, name, line)
{
    public string? TypeRef { get; } = typeRef;

    public BoxedExpression? Expression { get; } = expression;

    public Requirements Requires { get; } = new();
}

internal sealed class KnowledgeModel(string id, string name, int line, string? typeRef, FunctionBox? logic) : DrgElement(id, name, line)
{
    public string? TypeRef { get; } = typeRef;

    public FunctionBox? Logic { get; } = logic;

    public Requirements Requires { get; } = new();
}

internal sealed class DecisionService(string id, string name, int line, string? typeRef) : DrgElement(id, name, line)
{
    public string? TypeRef { get; } = typeRef;

    public List<string> OutputDecisions { get; } = [];

    public List<string> EncapsulatedDecisions { get; } = [];

    public List<string> InputDecisions { get; } = [];

    public List<string> InputData { get; } = [];
}

/// <summary>A type: a base type reference, allowed values, a collection of it, or a structure of components.</summary>
internal sealed class ItemDefinition(string name, string? typeRef, FeelExpression? allowedValues, bool isCollection, IReadOnlyList<ItemDefinition> components, bool isFunction)
{
    public string Name { get; } = name;

    public string? TypeRef { get; } = typeRef;

    public FeelExpression? AllowedValues { get; } = allowedValues;

    public bool IsCollection { get; } = isCollection;

    public IReadOnlyList<ItemDefinition> Components { get; } = components;

    public bool IsFunction { get; } = isFunction;
}

/// <summary>A boxed expression (DMN 1.5 chapter 7): literal, context, list, relation, invocation, function, table…</summary>
internal abstract class BoxedExpression(string? typeRef)
{
    public string? TypeRef { get; } = typeRef;

    public abstract object? Evaluate(DecisionRun run, IFeelScope scope);
}

internal sealed class LiteralBox(string? typeRef, FeelExpression? expression, string? syntaxError) : BoxedExpression(typeRef)
{
    public FeelExpression? Expression { get; } = expression;

    public override object? Evaluate(DecisionRun run, IFeelScope scope)
    {
        if (Expression is null)
        {
            return run.Evaluator.Invalid(syntaxError ?? "the literal expression is empty");
        }

        return Expression.Evaluate(run.Evaluator, scope);
    }
}

internal sealed class ContextBox(string? typeRef, IReadOnlyList<(string? Name, string? TypeRef, BoxedExpression? Value)> entries) : BoxedExpression(typeRef)
{
    public override object? Evaluate(DecisionRun run, IFeelScope scope)
    {
        // Each entry sees the ones before it; an entry without a name is the context's result.
        var context = new FeelContext(entries.Count);
        var inner = new ContextScope(context, scope);
        foreach (var (name, entryType, value) in entries)
        {
            var result = value is null ? null : run.Types.Coerce(run, entryType, value.Evaluate(run, inner), name ?? "the context's result");
            if (name is null)
            {
                return result;
            }

            context[name] = result;
        }

        return context;
    }
}

internal sealed class ListBox(string? typeRef, IReadOnlyList<BoxedExpression?> items) : BoxedExpression(typeRef)
{
    public override object? Evaluate(DecisionRun run, IFeelScope scope)
    {
        var list = new List<object?>(items.Count);
        foreach (var item in items)
        {
            list.Add(item?.Evaluate(run, scope));
        }

        return list;
    }
}

internal sealed class RelationBox(string? typeRef, IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<BoxedExpression?>> rows) : BoxedExpression(typeRef)
{
    public override object? Evaluate(DecisionRun run, IFeelScope scope)
    {
        var list = new List<object?>(rows.Count);
        foreach (var row in rows)
        {
            if (row.Count != columns.Count)
            {
                return run.Evaluator.Invalid($"a row of the relation has {row.Count} cells for {columns.Count} columns");
            }

            var context = new FeelContext(columns.Count);
            for (var i = 0; i < columns.Count; i++)
            {
                context[columns[i]] = row[i]?.Evaluate(run, scope);
            }

            list.Add(context);
        }

        return list;
    }
}

internal sealed class InvocationBox(string? typeRef, FeelExpression? callee, IReadOnlyList<(string Name, BoxedExpression? Value)> bindings) : BoxedExpression(typeRef)
{
    public override object? Evaluate(DecisionRun run, IFeelScope scope)
    {
        if (callee?.Evaluate(run.Evaluator, scope) is not FeelFunction function)
        {
            return run.Evaluator.Invalid($"the invocation names no function ('{callee?.Text}')");
        }

        var args = new object?[function.Parameters.Count];
        foreach (var (name, value) in bindings)
        {
            var at = function.Parameters.ToList().IndexOf(name);
            if (at < 0)
            {
                return run.Evaluator.Invalid($"'{function.Name}' has no parameter '{name}'");
            }

            args[at] = value?.Evaluate(run, scope);
        }

        // Counted as FEEL counts a call, so that a knowledge model invoking itself stops at FeelLimits.MaxDepth.
        run.Evaluator.EnterCall(function.Name);
        var result = function.Invoke(run.Evaluator, args);
        run.Evaluator.ExitCall();
        return result;
    }
}

internal sealed class FunctionBox(string? typeRef, string kind, IReadOnlyList<(string Name, string? TypeRef)> parameters, BoxedExpression? body) : BoxedExpression(typeRef)
{
    public string Kind { get; } = kind;

    public IReadOnlyList<(string Name, string? TypeRef)> Parameters { get; } = parameters;

    public BoxedExpression? Body { get; } = body;

    public override object? Evaluate(DecisionRun run, IFeelScope scope) => run.MakeFunction("anonymous", this, scope, null);
}

internal sealed class ConditionalBox(string? typeRef, BoxedExpression? condition, BoxedExpression? then, BoxedExpression? otherwise) : BoxedExpression(typeRef)
{
    // A condition that is no boolean at all is an error (null); a null condition takes the else branch, as false does.
    public override object? Evaluate(DecisionRun run, IFeelScope scope) => condition?.Evaluate(run, scope) switch
    {
        true => then?.Evaluate(run, scope),
        false or null => otherwise?.Evaluate(run, scope),
        var other => run.Evaluator.Invalid($"the condition is {FeelValue.TypeName(other)}, not a boolean"),
    };
}

internal sealed class FilterBox(string? typeRef, BoxedExpression? source, BoxedExpression? match) : BoxedExpression(typeRef)
{
    public override object? Evaluate(DecisionRun run, IFeelScope scope)
    {
        var value = source?.Evaluate(run, scope);
        if (value is null || match is null)
        {
            return null;
        }

        var result = new List<object?>();
        foreach (var item in value as List<object?> ?? [value])
        {
            run.Evaluator.Step();
            IFeelScope itemScope = item is FeelContext ctx
                ? new NameScope("item", item, new ContextScope(ctx, scope))
                : new NameScope("item", item, scope);
            if (match.Evaluate(run, itemScope) is true)
            {
                result.Add(item);
            }
        }

        return result;
    }
}

internal enum IterationKind
{
    For,
    Some,
    Every,
}

internal sealed class IterationBox(string? typeRef, IterationKind kind, string variable, BoxedExpression? source, BoxedExpression? body) : BoxedExpression(typeRef)
{
    public override object? Evaluate(DecisionRun run, IFeelScope scope)
    {
        var items = source?.Evaluate(run, scope) switch
        {
            List<object?> list => list,
            null => null,
            var single => [single],
        };
        if (items is null || body is null)
        {
            return run.Evaluator.Invalid($"the {kind.ToString().ToLowerInvariant()} iterates over no list");
        }

        var results = new List<object?>(items.Count);
        var undecided = false;
        foreach (var item in items)
        {
            run.Evaluator.Step();
            var value = body.Evaluate(run, new NameScope(variable, item, scope));
            switch (kind)
            {
                case IterationKind.For:
                    results.Add(value);
                    break;
                case IterationKind.Some when value is true:
                    return true;
                case IterationKind.Every when value is false:
                    return false;
            }

            undecided |= value is not bool;
        }

        // As FEEL's some and every: a disjunction, a conjunction; what no boolean decides is null.
        return kind switch
        {
            IterationKind.For => results,
            _ when undecided => null,
            IterationKind.Some => false,
            _ => true,
        };
    }
}
