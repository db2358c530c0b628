using Workflows.Engine.Feel;

namespace Workflows.Engine.Decisions;

/// <summary>
/// One evaluation of a decision (or a decision service) and what it requires: the inputs given, each required
/// decision evaluated once, the rules each table matched (for history), and one FEEL budget for the whole run.
/// </summary>
internal sealed class DecisionRun
{
    private readonly DmnDefinitions _model;
    private readonly FeelContext _inputs;
    private readonly Dictionary<string, object?> _results = new(StringComparer.Ordinal);
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);
    private readonly List<EvaluatedDecision> _evaluated = [];
    private readonly Dictionary<string, FeelFunction?> _knowledge = new(StringComparer.Ordinal);
    private List<MatchedRule>? _matched;
    private List<EvaluatedInput>? _inputValues;

    public DecisionRun(DmnDefinitions model, FeelContext inputs, FeelEvaluator evaluator)
    {
        _model = model;
        _inputs = inputs;
        Evaluator = evaluator;
        evaluator.NamedTypes ??= (name, value) => model.Types.IsInstance(this, name, value);
    }

    public FeelEvaluator Evaluator { get; }

    public FeelContext Inputs => _inputs;

    public DmnTypes Types => _model.Types;

    public IReadOnlyList<EvaluatedDecision> Evaluated => _evaluated;

    /// <summary>Records the rules a table matched, for the decision being evaluated.</summary>
    public void Matched(IEnumerable<TableRule> rules) => (_matched ??= []).AddRange(rules.Select(r => new MatchedRule(r.Id, r.Index)));

    /// <summary>Records the values a table's inputs had, for the decision being evaluated.</summary>
    public void TableInputs(IReadOnlyList<TableInput> inputs, object?[] values)
    {
        _inputValues ??= [];
        for (var i = 0; i < inputs.Count; i++)
        {
            _inputValues.Add(new EvaluatedInput(inputs[i].Label, values[i]));
        }
    }

    /// <summary>Gives a decision a value without evaluating it (a decision service's input decision).</summary>
    public void Preset(Decision decision, object? value) => _results[decision.Id] = value;

    public object? EvaluateDecision(Decision decision)
    {
        if (_results.TryGetValue(decision.Id, out var known))
        {
            return known;
        }

        if (!_running.Add(decision.Id))
        {
            return Evaluator.Invalid($"the decision '{decision.Name}' requires itself");
        }

        var scope = new FeelContext();
        foreach (var id in decision.Requires.Inputs)
        {
            if (_model.Inputs.TryGetValue(id, out var input))
            {
                scope[input.Name] = InputValue(input);
            }
        }

        foreach (var id in decision.Requires.Decisions)
        {
            if (_model.Decisions.TryGetValue(id, out var required))
            {
                scope[required.Name] = EvaluateDecision(required);
            }
        }

        AddKnowledge(scope, decision.Requires.Knowledge);
        var outer = _matched;
        var outerInputs = _inputValues;
        _matched = null;
        _inputValues = null;
        var value = decision.Expression is null
            ? Evaluator.Invalid($"the decision '{decision.Name}' has no expression")
            : decision.Expression.Evaluate(this, new ContextScope(scope, new ThenInputs(_model.GlobalScope(this), _inputs)));
        value = Types.Coerce(this, decision.TypeRef, value, $"the decision '{decision.Name}'");
        _evaluated.Add(new EvaluatedDecision(decision.Id, decision.Name, value, (IReadOnlyList<MatchedRule>?)_matched ?? [])
        {
            Inputs = (IReadOnlyList<EvaluatedInput>?)_inputValues ?? [],
        });
        _matched = outer;
        _inputValues = outerInputs;
        _running.Remove(decision.Id);
        _results[decision.Id] = value;
        return value;
    }

    private object? InputValue(InputData input)
    {
        if (!_inputs.TryGetValue(input.Name, out var value))
        {
            Evaluator.Warn($"no value was given for the input '{input.Name}'");
            return null;
        }

        return Types.Coerce(this, input.TypeRef, value, $"the input '{input.Name}'");
    }

    public void AddKnowledge(FeelContext scope, IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            if (_model.Knowledge.TryGetValue(id, out var bkm))
            {
                scope[bkm.Name] = KnowledgeFunction(bkm);
            }
            else if (_model.Services.TryGetValue(id, out var service))
            {
                scope[service.Name] = ServiceFunction(service);
            }
        }
    }

    /// <summary>
    /// A knowledge model as a function, made once per run. The knowledge it requires is found when its body names it,
    /// not built with it: built eagerly, knowledge models requiring each other recursed without end, and a chain where
    /// each requires the two before it built exponentially many closures before anything ran. Recursion at call time is
    /// bounded by <see cref="FeelLimits.MaxDepth"/>, as a recursive FEEL function is.
    /// </summary>
    public FeelFunction? KnowledgeFunction(KnowledgeModel bkm)
    {
        if (_knowledge.TryGetValue(bkm.Id, out var made))
        {
            return made;
        }

        var function = bkm.Logic is null ? null
            : MakeFunction(bkm.Name, bkm.Logic, new RequiredKnowledge(this, bkm.Requires.Knowledge.Where(k => k != bkm.Id).ToList(), _model.GlobalScope(this)), bkm.TypeRef);
        _knowledge[bkm.Id] = function;
        return function;
    }

    // The knowledge models and services a knowledge model requires, by name, made when first looked up.
    private sealed class RequiredKnowledge(DecisionRun run, IReadOnlyList<string> ids, IFeelScope parent) : IFeelScope
    {
        public bool TryResolve(string name, out object? value)
        {
            foreach (var id in ids)
            {
                if (run._model.Knowledge.TryGetValue(id, out var bkm) && bkm.Name == name)
                {
                    value = run.KnowledgeFunction(bkm);
                    return true;
                }

                if (run._model.Services.TryGetValue(id, out var service) && service.Name == name)
                {
                    value = run.ServiceFunction(service);
                    return true;
                }
            }

            return parent.TryResolve(name, out value);
        }
    }

    /// <summary>A boxed function definition as a FEEL function: its parameters typed, its body in the scope it was defined in.</summary>
    public FeelFunction MakeFunction(string name, FunctionBox definition, IFeelScope closure, string? resultType)
    {
        var parameters = definition.Parameters.Select(p => p.Name).ToList();
        return new FeelFunction(name, parameters, (ev, args) =>
        {
            if (definition.Kind == "Java")
            {
                // The body is the context naming the class and the method signature (FeelExternal).
                return FeelExternal.Make(name, parameters, definition.Body?.Evaluate(this, closure)).Invoke(ev, args);
            }

            if (definition.Kind != "FEEL")
            {
                return ev.Invalid($"'{name}' is a {definition.Kind} function, which this engine does not run");
            }

            if (args.Count != parameters.Count)
            {
                return ev.Invalid($"'{name}' takes {parameters.Count} argument(s), not {args.Count}");
            }

            var scope = new FeelContext(parameters.Count);
            for (var i = 0; i < parameters.Count; i++)
            {
                scope[parameters[i]] = Types.Coerce(this, definition.Parameters[i].TypeRef, args[i], $"the parameter '{parameters[i]}' of '{name}'");
            }

            var value = definition.Body?.Evaluate(this, new ContextScope(scope, closure));
            return Types.Coerce(this, definition.TypeRef ?? resultType, value, $"the result of '{name}'");
        });
    }

    /// <summary>A decision service as a function: its input data and input decisions are its parameters, in that order.</summary>
    public FeelFunction ServiceFunction(DecisionService service)
    {
        var parameters = service.InputData.Select(id => _model.Inputs.TryGetValue(id, out var i) ? i.Name : id)
            .Concat(service.InputDecisions.Select(id => _model.Decisions.TryGetValue(id, out var d) ? d.Name : id)).ToList();
        return new FeelFunction(service.Name, parameters, (ev, args) =>
        {
            if (args.Count != parameters.Count)
            {
                return ev.Invalid($"the decision service '{service.Name}' takes {parameters.Count} argument(s), not {args.Count}");
            }

            // An argument of the wrong type fails the invocation: the service is never run (DMN 1.5 §10.4).
            var types = service.InputData.Select(id => _model.Inputs.GetValueOrDefault(id)?.TypeRef)
                .Concat(service.InputDecisions.Select(id => _model.Decisions.GetValueOrDefault(id)?.TypeRef)).ToList();
            var inputs = new FeelContext(parameters.Count);
            for (var i = 0; i < parameters.Count; i++)
            {
                inputs[parameters[i]] = Types.Coerce(this, types[i], args[i], $"the argument '{parameters[i]}' of '{service.Name}'");
                if (inputs[parameters[i]] is null && args[i] is not null)
                {
                    return null;
                }
            }

            var inner = new DecisionRun(_model, inputs, ev);
            return inner.RunService(service, inputs);
        });
    }

    /// <summary>Evaluates a decision service's output decisions with its input decisions taken from <paramref name="inputs"/>.</summary>
    public object? RunService(DecisionService service, FeelContext inputs)
    {
        foreach (var id in service.InputDecisions)
        {
            if (_model.Decisions.TryGetValue(id, out var decision))
            {
                Preset(decision, inputs.TryGetValue(decision.Name, out var value) ? Types.Coerce(this, decision.TypeRef, value, $"the input decision '{decision.Name}'") : null);
            }
        }

        var outputs = service.OutputDecisions.Select(id => _model.Decisions.GetValueOrDefault(id)).OfType<Decision>().ToList();
        var context = new FeelContext(outputs.Count);
        foreach (var decision in outputs)
        {
            context[decision.Name] = EvaluateDecision(decision);
        }

        var result = outputs.Count == 1 ? context[outputs[0].Name] : context;
        return Types.Coerce(this, service.TypeRef, result, $"the decision service '{service.Name}'");
    }

    // Last, the evaluation's whole context: a decision that declares no requirement reads its inputs by name, as a
    // business rule task's table reads the instance's variables (Camunda 8 and Drools evaluate so); what a decision
    // requires, and the knowledge models, come first.
    private sealed class ThenInputs(IFeelScope first, FeelContext inputs) : IFeelScope
    {
        public bool TryResolve(string name, out object? value) => first.TryResolve(name, out value) || inputs.TryGetValue(name, out value);
    }
}
