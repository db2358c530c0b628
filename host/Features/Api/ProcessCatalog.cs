using System.Collections.Concurrent;
using System.Xml;
using System.Xml.Linq;
using Workflows.Engine;

namespace Workflows.Host.Features.Api;

/// <summary>The names and kinds of a version's elements, read once per version, for views that speak in step names.</summary>
internal sealed class ProcessCatalog(WorkflowEngine engine)
{
    private readonly ConcurrentDictionary<(string ProcessId, int Version), Task<ProcessNames>> _versions = new();

    /// <remarks>
    /// A version never changes, so it is read once; the read is shared by every request that waits for it, so no
    /// one request's cancellation ends it, and a read that failed is forgotten so that the next request tries again.
    /// </remarks>
    public async Task<ProcessNames> GetAsync(string processId, int version, CancellationToken ct)
    {
        var key = (processId, version);
        var load = _versions.GetOrAdd(key, k => LoadAsync(k.ProcessId, k.Version));
        try
        {
            return await load.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception) when (load.IsFaulted)
        {
            _versions.TryRemove(KeyValuePair.Create(key, load));
            throw;
        }
    }

    private async Task<ProcessNames> LoadAsync(string processId, int version)
    {
        var xml = await engine.Deployments.GetXmlAsync(processId, version, CancellationToken.None).ConfigureAwait(false);
        XElement process;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            process = XDocument.Load(reader).Descendants(XName.Get("process", "http://www.omg.org/spec/BPMN/20100524/MODEL"))
                .FirstOrDefault(p => (string?)p.Attribute("id") == processId) ?? throw new XmlException($"it has no process '{processId}'");
        }
        catch (XmlException e)
        {
            // A stored row changed outside the engine: that version's problem, named, not the server's failure.
            var id = (await engine.Deployments.GetDefinitionsAsync(processId, CancellationToken.None).ConfigureAwait(false)).FirstOrDefault(d => d.Version == version)?.Id ?? Guid.Empty;
            throw new DefinitionUnreadableException(id, processId, version, $"its XML no longer reads ({e.Message})");
        }

        // BPMN elements only: extension elements have ids of their own meaning (a form field's variable).
        var elements = process.Descendants().Where(e => e.Name.NamespaceName == process.Name.NamespaceName && e.Attribute("id") is not null)
            .ToDictionary(e => (string)e.Attribute("id")!, e => new ElementName((string?)e.Attribute("name"), e.Name.LocalName), StringComparer.Ordinal);
        // A process with no plain start event only starts when another one hands it work (a message, a signal, a timer).
        var startsByItself = process.Elements(XName.Get("startEvent", process.Name.NamespaceName))
            .Any(start => !start.Elements().Any(d => d.Name.LocalName.EndsWith("EventDefinition", StringComparison.Ordinal)));
        // Forms as the model declares them, with the bounds the engine does not check (min, max, maxLength): each
        // element's, and the plain start event's, which declares what a customer may give when raising a case.
        var forms = process.Descendants().Where(e => e.Name.NamespaceName == process.Name.NamespaceName && e.Attribute("id") is not null)
            .Select(e => (Id: (string)e.Attribute("id")!, Form: e.Elements(XName.Get("extensionElements", process.Name.NamespaceName)).Elements().FirstOrDefault(x => x.Name.LocalName == "form")))
            .Where(x => x.Form is not null)
            .ToDictionary(x => x.Id, x => FormRules.Read(x.Form!), StringComparer.Ordinal);
        var plainStart = process.Elements(XName.Get("startEvent", process.Name.NamespaceName))
            .FirstOrDefault(start => !start.Elements().Any(d => d.Name.LocalName.EndsWith("EventDefinition", StringComparison.Ordinal)));
        var startForm = plainStart is not null && forms.TryGetValue((string?)plainStart.Attribute("id") ?? "", out var declared) ? declared : null;
        return new ProcessNames((string?)process.Attribute("name") ?? processId, elements)
        {
            StartedByHandoff = !startsByItself, Forms = forms, StartForm = startForm, CaseData = CaseDataItem.Read(process),
            CustomerSteps = CustomerStep.Read(process),
        };
    }
}

internal sealed record ElementName(string? Name, string Kind);

internal sealed record ProcessNames(string Name, IReadOnlyDictionary<string, ElementName> Elements)
{
    /// <summary>The process has no plain start event: it is a department's part of a case another process started.</summary>
    public bool StartedByHandoff { get; init; }

    /// <summary>The form of each element that has one, by element id.</summary>
    public IReadOnlyDictionary<string, FormRules> Forms { get; init; } = new Dictionary<string, FormRules>();

    /// <summary>The customer input the plain start event declares (<c>wf:form</c> on it); null: a customer may give none.</summary>
    public FormRules? StartForm { get; init; }

    /// <summary>The variables the journey shows agents beside every task (<c>wf:caseData</c> on the process), in its order.</summary>
    public IReadOnlyList<CaseDataItem> CaseData { get; init; } = [];

    /// <summary>The words customers read for the steps the journey shows them (<c>wf:customerStep</c>), by element id.</summary>
    public IReadOnlyDictionary<string, CustomerStep> CustomerSteps { get; init; } = new Dictionary<string, CustomerStep>();

    public ElementName? Of(string? elementId) => elementId is not null && Elements.TryGetValue(elementId, out var e) ? e : null;
}
