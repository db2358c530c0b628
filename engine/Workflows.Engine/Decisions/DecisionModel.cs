using System.Text.RegularExpressions;
using Workflows.Engine.Feel;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Decisions;

/// <summary>A decision (or decision service) of a model, as a caller names it.</summary>
/// <param name="Id">The element's id in the DMN XML.</param>
/// <param name="Name">Its name, which FEEL expressions and results use.</param>
public sealed record DecisionInfo(string Id, string Name);

/// <summary>A rule of a decision table that matched and was used, for the history of an evaluation.</summary>
/// <param name="RuleId">The rule's id in the DMN XML.</param>
/// <param name="Index">Its 1-based position in the table.</param>
public sealed record MatchedRule(string RuleId, int Index);

/// <summary>One decision evaluated on the way to the result: its value and the rules its table matched.</summary>
/// <param name="DecisionId">The decision's id.</param>
/// <param name="Name">The decision's name.</param>
/// <param name="Value">Its value as a FEEL value (see <see cref="FeelConvert"/>); null when it failed.</param>
/// <param name="MatchedRules">The rules used, in the order the hit policy took them; empty when its logic is no table.</param>
public sealed record EvaluatedDecision(string DecisionId, string Name, object? Value, IReadOnlyList<MatchedRule> MatchedRules)
{
    /// <summary>The values of its decision table's inputs, by the inputs' labels (or expressions), in table order; empty when its logic is no table.</summary>
    public IReadOnlyList<EvaluatedInput> Inputs { get; init; } = [];
}

/// <summary>The value one input of a decision table had in an evaluation, for the history of it.</summary>
/// <param name="Label">The input's label, else its expression's text.</param>
/// <param name="Value">Its value as a FEEL value.</param>
public sealed record EvaluatedInput(string Label, object? Value);

/// <summary>The outcome of evaluating a decision or a decision service.</summary>
/// <remarks>
/// DMN never throws at run time: a decision that fails (a type mismatch, a UNIQUE table matching twice, a syntax
/// error found at read) is null, and <see cref="Warnings"/> say why. <see cref="Decisions"/> lists every decision
/// evaluated, required ones first, with the rules matched: what a history entry records.
/// </remarks>
/// <param name="Id">The decision or decision service evaluated.</param>
/// <param name="Value">Its result: the decision's value; for a service, its output decision's value or a context of them.</param>
/// <param name="Decisions">Each decision evaluated, in the order they finished.</param>
/// <param name="Warnings">Why a value is null, in the order they arose.</param>
public sealed record DecisionEvaluation(string Id, object? Value, IReadOnlyList<EvaluatedDecision> Decisions, IReadOnlyList<string> Warnings);

/// <summary>What reading a DMN document gives: the model (null when the XML is no DMN at all) and every finding.</summary>
/// <param name="Model">The model; present even with findings, so that its sound decisions can be tried.</param>
/// <param name="Report">The findings, with codes such as <c>DMN_FEEL_SYNTAX</c>; deploy nothing with errors.</param>
public sealed record DecisionModelReadResult(DecisionModel? Model, ValidationReport Report);

/// <summary>A DMN model (DMN 1.1 to 1.5 XML): its decisions, evaluated by id or name with a context of inputs.</summary>
/// <remarks>
/// Read once, evaluate many times from any thread: the model is immutable. Numbers are <see cref="decimal"/>, contexts
/// <see cref="FeelContext"/>, lists <c>List&lt;object?&gt;</c> (see <see cref="FeelConvert.FromClr"/> for the inputs
/// accepted). Each evaluation runs within the <see cref="FeelLimits"/> of the options it was read with, counted over
/// the whole decision and what it requires.
/// </remarks>
public sealed class DecisionModel
{
    private readonly DmnDefinitions _model;
    private readonly FeelLimits _limits;

    private DecisionModel(DmnDefinitions model, FeelLimits limits)
    {
        _model = model;
        _limits = limits;
    }

    /// <summary>The model's name (the <c>name</c> of its definitions).</summary>
    public string Name => _model.Name;

    /// <summary>The model's namespace.</summary>
    public string Namespace => _model.Namespace;

    /// <summary>The decisions, in document order.</summary>
    public IReadOnlyList<DecisionInfo> Decisions => _model.Decisions.Values.Select(d => new DecisionInfo(d.Id, d.Name)).ToList();

    /// <summary>The decision services, in document order.</summary>
    public IReadOnlyList<DecisionInfo> DecisionServices => _model.Services.Values.Select(d => new DecisionInfo(d.Id, d.Name)).ToList();

    /// <summary>The input data the model declares (id and name: the name is the key of an input in the context).</summary>
    public IReadOnlyList<DecisionInfo> Inputs => _model.Inputs.Values.Select(d => new DecisionInfo(d.Id, d.Name)).ToList();

    /// <summary>Reads DMN XML with the same safety rules and limits as BPMN (no DTD, no external entities, size and depth).</summary>
    /// <param name="xml">The document.</param>
    /// <param name="options">Size, depth and FEEL limits; the defaults when null.</param>
    public static DecisionModelReadResult Read(string xml, BpmnParserOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(xml);
        options ??= BpmnParserOptions.Default;
        var (model, findings) = DmnReader.Read(xml, options);
        return new DecisionModelReadResult(model is null ? null : new DecisionModel(model, options.Feel), new ValidationReport(findings));
    }

    /// <summary>Evaluates the decision with the id (or else the name) <paramref name="decision"/>.</summary>
    /// <param name="decision">The decision's id or name.</param>
    /// <param name="inputs">The input data by name; CLR and JSON values are converted (<see cref="FeelConvert.FromClr"/>).</param>
    /// <param name="time">The clock behind <c>now()</c> and <c>today()</c>; the system clock when null.</param>
    /// <param name="cancellation">Stops a long evaluation.</param>
    /// <exception cref="KeyNotFoundException">The model has no such decision.</exception>
    /// <exception cref="FeelLimitExceededException">The evaluation went over a budget of the model's <see cref="FeelLimits"/>.</exception>
    public DecisionEvaluation Evaluate(string decision, IReadOnlyDictionary<string, object?>? inputs = null, TimeProvider? time = null, CancellationToken cancellation = default) =>
        EvaluateIn(decision, inputs, time, cancellation);

    /// <summary>
    /// As <see cref="Evaluate(string, IReadOnlyDictionary{string, object?}?, TimeProvider?, CancellationToken)"/>, the
    /// inputs given as pairs of distinct names: a business rule task passes its scope's variables as they are, without
    /// a dictionary made of them first (each value is converted as there).
    /// </summary>
    internal DecisionEvaluation EvaluateIn(string decision, IEnumerable<KeyValuePair<string, object?>>? inputs, TimeProvider? time, CancellationToken cancellation)
    {
        // By its id first, as the key of the model's decisions (one lookup rather than a walk of them), else by its name.
        var target = (_model.Decisions.TryGetValue(decision, out var byId) ? byId : Find(_model.Decisions.Values, decision))
            ?? throw new KeyNotFoundException($"the model '{Name}' has no decision '{decision}'");
        return Run(target.Id, inputs, time, run => run.EvaluateDecision(target), cancellation);
    }

    /// <summary>Evaluates the decision service with the id (or else the name) <paramref name="service"/>, its input decisions taken from <paramref name="inputs"/> too.</summary>
    /// <exception cref="KeyNotFoundException">The model has no such decision service.</exception>
    /// <exception cref="FeelLimitExceededException">The evaluation went over a budget of the model's <see cref="FeelLimits"/>.</exception>
    public DecisionEvaluation EvaluateService(string service, IReadOnlyDictionary<string, object?>? inputs = null, TimeProvider? time = null, CancellationToken cancellation = default)
    {
        var target = Find(_model.Services.Values, service) ?? throw new KeyNotFoundException($"the model '{Name}' has no decision service '{service}'");
        return Run(target.Id, inputs, time, run => run.RunService(target, run.Inputs), cancellation);
    }

    private static T? Find<T>(IEnumerable<T> elements, string key) where T : DrgElement =>
        elements.FirstOrDefault(e => e.Id == key) ?? elements.FirstOrDefault(e => e.Name == key);

    private DecisionEvaluation Run(string id, IEnumerable<KeyValuePair<string, object?>>? inputs, TimeProvider? time, Func<DecisionRun, object?> body, CancellationToken cancellation)
    {
        var context = new FeelContext();
        foreach (var (key, input) in inputs ?? [])
        {
            context[key] = FeelConvert.FromClr(input);
        }

        var evaluator = new FeelEvaluator(time ?? TimeProvider.System, _limits, cancellation);
        var run = new DecisionRun(_model, context, evaluator);
        object? value;
        try
        {
            value = body(run);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pattern's time-out is a budget like the others (as FeelExpression.Evaluate says it): the caller's
            // incident, refusal or error names it, instead of a time-out nothing expects (review18 F10).
            throw new FeelLimitExceededException(nameof(FeelLimits.RegexTimeout), _limits.RegexTimeout,
                $"a regular expression ran longer than {_limits.RegexTimeout.TotalMilliseconds:N0} ms");
        }
        catch (Exception e) when (e is ArithmeticException or ArgumentException or FormatException or InvalidCastException or IndexOutOfRangeException)
        {
            // As in FEEL: a value out of range somewhere in a built-in is null with a warning, never a crash.
            evaluator.Warn($"the evaluation failed: {e.Message}");
            value = null;
        }

        // What the caller will write (its answer, the history row, the result variable) is bounded like what was made.
        evaluator.AllocateWritten(value, "the value of the decision, written out");
        foreach (var decision in run.Evaluated)
        {
            evaluator.AllocateWritten(decision.Value, $"the value of the decision '{decision.Name}', written out");
            foreach (var input in decision.Inputs)
            {
                evaluator.AllocateWritten(input.Value, $"the input '{input.Label}' of '{decision.Name}', written out");
            }
        }

        return new DecisionEvaluation(id, value, run.Evaluated, evaluator.Warnings);
    }
}
