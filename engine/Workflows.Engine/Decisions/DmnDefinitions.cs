using Workflows.Engine.Feel;

namespace Workflows.Engine.Decisions;

/// <summary>The elements of one DMN model by id, and the types they use.</summary>
internal sealed class DmnDefinitions(string name, string ns, DmnTypes types)
{
    public string Name { get; } = name;

    public string Namespace { get; } = ns;

    public DmnTypes Types { get; } = types;

    public Dictionary<string, InputData> Inputs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Decision> Decisions { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, KnowledgeModel> Knowledge { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, DecisionService> Services { get; } = new(StringComparer.Ordinal);

    public void Add(InputData input) => Inputs.TryAdd(input.Id, input);

    public void Add(Decision decision) => Decisions.TryAdd(decision.Id, decision);

    public void Add(KnowledgeModel bkm) => Knowledge.TryAdd(bkm.Id, bkm);

    public void Add(DecisionService service) => Services.TryAdd(service.Id, service);

    /// <summary>
    /// The scope beneath every decision's own: the model's knowledge models and decision services by name. A model that
    /// invokes a knowledge model it forgot to require still runs (as Camunda and Drools run it); the validator warns.
    /// </summary>
    public IFeelScope GlobalScope(DecisionRun run) => new KnowledgeScope(this, run);

    private sealed class KnowledgeScope(DmnDefinitions model, DecisionRun run) : IFeelScope
    {
        public bool TryResolve(string name, out object? value)
        {
            foreach (var bkm in model.Knowledge.Values)
            {
                if (bkm.Name == name)
                {
                    value = run.KnowledgeFunction(bkm);
                    return true;
                }
            }

            foreach (var service in model.Services.Values)
            {
                if (service.Name == name)
                {
                    value = run.ServiceFunction(service);
                    return true;
                }
            }

            value = null;
            return false;
        }
    }
}
