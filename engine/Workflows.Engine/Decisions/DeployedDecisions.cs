using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Workflows.Engine.Feel;
using Workflows.Engine.Storage;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Decisions;

/// <summary>
/// What deployed decisions share between deploys, business rule tasks and the API: telling a DMN document from a BPMN
/// one, its version tags, the parsed models by version, the version a caller's binding and branch choose, when an
/// evaluation failed, and the history row of an evaluation.
/// </summary>
internal static class DeployedDecisions
{
    /// <summary>A history row's detail is cut to this many characters: inputs can be large, the row must not be.</summary>
    public const int MaxHistoryDetail = 16_000;

    private const string ZeebeNs = "http://camunda.org/schema/zeebe/1.0";

    // At most 512 models, read from at most 8 M characters of DMN (some 160 MB parsed, at twenty times the XML).
    private static readonly DecisionModelCache s_models = new(maxCharacters: 8_000_000, maxEntries: 512);

    /// <summary>Whether the document's root is a DMN <c>definitions</c> (any DMN version's namespace); read safely, first element only.</summary>
    /// <remarks>
    /// A DTD is skipped here, never read (nothing declared in it is resolved or expanded), so that a DMN document carrying
    /// one is told as DMN and refused by the DMN reader's rules ("not allowed in DMN documents"), not read as BPMN.
    /// </remarks>
    public static bool IsDmn(string xml)
    {
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null, MaxCharactersFromEntities = 1024 };
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            reader.MoveToContent();
            return reader.NodeType == XmlNodeType.Element && reader.LocalName == "definitions"
                && reader.NamespaceURI.Contains("/DMN/", StringComparison.OrdinalIgnoreCase);
        }
        catch (XmlException)
        {
            return false;
        }
    }

    /// <summary>Each decision's <c>zeebe:versionTag</c> (in its extension elements), by decision id.</summary>
    public static Dictionary<string, string> VersionTags(string xml)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersFromEntities = 1024 };
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            var root = XDocument.Load(reader).Root;
            foreach (var decision in root?.Elements().Where(e => e.Name.LocalName == "decision") ?? [])
            {
                var tag = decision.Elements().Where(e => e.Name.LocalName == "extensionElements").Elements(XName.Get("versionTag", ZeebeNs)).FirstOrDefault();
                if ((string?)decision.Attribute("id") is { } id && (string?)tag?.Attribute("value") is { Length: > 0 } value)
                {
                    tags[id] = value;
                }
            }
        }
        catch (XmlException)
        {
            // Read already refused a document that is not well-formed.
        }

        return tags;
    }

    /// <summary>
    /// The model of a deployed version, parsed once per engine limits and kept (versions never change meaning): once per
    /// stored document, which every decision of the document shares, else (a version stored before 0029) per version.
    /// </summary>
    public static DecisionModel Load(DecisionRecord record, BpmnParserOptions options)
    {
        var key = record.DocumentId ?? record.Id;
        if (s_models.TryGet(key, options.Feel, out var cached))
        {
            return cached;
        }

        var read = DecisionModel.Read(record.Xml, options);
        var model = read.Model ?? throw new InvalidDataException($"decision '{record.DecisionId}' version {record.Version} is stored but is no DMN any more: {(read.Report.Findings.Count > 0 ? read.Report.Findings[0].Message : "it does not read")}");
        s_models.Add(key, options.Feel, model, record.Xml.Length);
        return model;
    }

    /// <summary>
    /// The model of a version read with or without its XML (<see cref="IDecisionStore.FindDecisionVersionAsync"/>): the model
    /// kept, else the version read again with its XML and parsed, as <see cref="Load"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The version is no longer stored, or its XML is no DMN.</exception>
    public static async ValueTask<DecisionModel> LoadAsync(IWorkflowStore store, DecisionRecord record, BpmnParserOptions options, CancellationToken ct)
    {
        if (record.Xml.Length == 0)
        {
            if (s_models.TryGet(record.DocumentId ?? record.Id, options.Feel, out var kept))
            {
                return kept;
            }

            record = await store.GetDecisionAsync(record.Id, ct).ConfigureAwait(false)
                ?? throw new InvalidDataException($"decision '{record.DecisionId}' version {record.Version} is no longer stored");
        }

        return Load(record, options);
    }

    /// <summary>
    /// The version a caller evaluates: binding latest takes the branch's pin, else the standard (see
    /// <see cref="Services.DecisionStandard"/>), else (none approved) nothing for a branch and the latest for no branch; versionTag the pinned version when it carries the tag, else (for a branch) the latest
    /// approved version with it, else the latest with it; deployment the version deployed with the caller.
    /// </summary>
    public static async ValueTask<DecisionRecord?> ResolveAsync(IWorkflowStore store, string decisionId, DecisionBinding binding, string? versionTag,
        Guid? deploymentId, Branch? branch, CancellationToken ct)
    {
        var pinned = PinOf(branch, decisionId);
        switch (binding)
        {
            case DecisionBinding.Deployment:
                return deploymentId is { } deployment ? await store.GetDecisionInDeploymentAsync(deployment, decisionId, ct).ConfigureAwait(false) : null;
            case DecisionBinding.VersionTag:
                if (pinned is { } v && await store.GetDecisionByVersionAsync(decisionId, v, ct).ConfigureAwait(false) is { } record && record.VersionTag == versionTag)
                {
                    return record;
                }

                if (branch is not null)
                {
                    // The approval gate holds for a tag too: a branch runs the newest approved version carrying it, never
                    // one only deployed under the tag (review18 F4: one analyst alone changed what every branch decided).
                    var approved = (await store.GetDecisionApprovalsAsync(decisionId, ct).ConfigureAwait(false)).Select(a => a.Version).ToHashSet();
                    var tagged = (await store.GetDecisionsAsync(decisionId, ct).ConfigureAwait(false))
                        .Where(d => d.VersionTag == versionTag && approved.Contains(d.Version)).MaxBy(d => d.Version);
                    return tagged is null ? null : await store.GetDecisionByVersionAsync(decisionId, tagged.Version, ct).ConfigureAwait(false);
                }

                return await store.GetDecisionByVersionTagAsync(decisionId, versionTag ?? "", ct).ConfigureAwait(false);
            default:
                return await ResolveLatestAsync(store, decisionId, branch, pinned is null ? await Services.DecisionStandard.OfAsync(store, decisionId, ct).ConfigureAwait(false) : null, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The version binding latest evaluates once the decision's <paramref name="standard"/> is known (<see cref="Services.DecisionStandard"/>):
    /// the branch's pin, else the standard, else (none approved) nothing for a branch and the latest for no branch. A version
    /// read with the rows the choice was made by (<c>readAlready</c>) is used when it is the one chosen, instead of a read.
    /// Without <paramref name="xml"/>, the version may come without its XML (for <see cref="LoadAsync"/>, not <see cref="Load"/>).
    /// </summary>
    public static async ValueTask<DecisionRecord?> ResolveLatestAsync(IWorkflowStore store, string decisionId, Branch? branch, int? standard, CancellationToken ct,
        DecisionRecord? readAlready = null, bool xml = true)
    {
        // A branch that pins nothing, and an evaluation for no branch (a central team's, an instance of no known
        // branch), evaluate the standard, which only a rollout moves (review18 F5, F12).
        if ((PinOf(branch, decisionId) ?? standard) is { } version)
        {
            return readAlready?.Version == version && (!xml || readAlready.Xml.Length > 0) ? readAlready
                : xml ? await store.GetDecisionByVersionAsync(decisionId, version, ct).ConfigureAwait(false)
                : await store.FindDecisionVersionAsync(decisionId, version, ct).ConfigureAwait(false);
        }

        // No version approved: a branch runs none (review10-18 F1: what one analyst alone deployed ran at once in
        // every branch, under journeys another analyst had approved); no branch runs the latest, as a start
        // without a branch runs a journey's latest.
        return branch is not null ? null
            : xml ? await store.GetLatestDecisionAsync(decisionId, ct).ConfigureAwait(false)
            : await store.FindDecisionVersionAsync(decisionId, null, ct).ConfigureAwait(false);
    }

    /// <summary>Why no version was found, in the words of the binding.</summary>
    public static string NotFound(string decisionId, DecisionBinding binding, string? versionTag, string processId, Branch? branch) => binding switch
    {
        DecisionBinding.VersionTag when branch is not null => $"no approved version of decision '{decisionId}' has the version tag '{versionTag}' (branch '{branch.Id}' runs approved versions only)",
        DecisionBinding.VersionTag => $"no version of decision '{decisionId}' has the version tag '{versionTag}'",
        DecisionBinding.Deployment => $"decision '{decisionId}' was not deployed together with process '{processId}'",
        _ when PinOf(branch, decisionId) is { } pinned => $"decision '{decisionId}' version {pinned}, which branch '{branch!.Id}' pins, is not deployed",
        _ => $"decision '{decisionId}' is not deployed",
    };

    /// <summary>
    /// Why <see cref="ResolveAsync"/> found nothing: for a branch following a decision none of whose versions is approved,
    /// the version deployed and who deployed it (a branch runs approved versions only); else <see cref="NotFound"/>.
    /// </summary>
    public static async ValueTask<string> NotFoundAsync(IWorkflowStore store, string decisionId, DecisionBinding binding, string? versionTag, string processId,
        Branch? branch, CancellationToken ct) =>
        binding == DecisionBinding.Latest && branch is not null && PinOf(branch, decisionId) is null
            && await store.GetLatestDecisionAsync(decisionId, ct).ConfigureAwait(false) is { } latest
            ? NotApproved(decisionId, latest, branch)
            : NotFound(decisionId, binding, versionTag, processId, branch);

    /// <summary>The words of a branch refused a decision none of whose versions is approved.</summary>
    public static string NotApproved(string decisionId, DecisionRecord latest, Branch branch) =>
        $"decision '{decisionId}' has no approved version: branch '{branch.Id}' runs only approved decision versions, and version {latest.Version} " +
        $"is deployed (by {latest.DeployedBy ?? "unknown"}), not approved; another analyst than the one who deployed it approves it";

    /// <summary>The version <paramref name="branch"/> pinned of a decision; null when it follows the standard.</summary>
    public static int? PinOf(Branch? branch, string decisionId) =>
        branch is not null && branch.DecisionPins.TryGetValue(decisionId, out var pinned) ? pinned : null;

    /// <summary>
    /// A decision failed when its value is null and warnings say why (a type mismatch, a UNIQUE table matching twice, an
    /// expression that fails); null without warnings is an answer: no rule matched.
    /// </summary>
    public static bool Failed(DecisionEvaluation evaluation) => evaluation.Value is null && evaluation.Warnings.Count > 0;

    /// <summary>The history row's detail: the decision and version, each decision evaluated with its inputs, matched rules and output, as JSON.</summary>
    public static string HistoryDetail(DecisionRecord record, DecisionEvaluation evaluation)
    {
        // Each value is written no further than the row keeps: a value sharing one list many times is small in memory
        // and huge written out; writing it all to keep 16,000 characters of it cost minutes (review10-18 F5).
        var (full, complete) = Write(record, evaluation, withInputs: true);
        return complete && full.Length <= MaxHistoryDetail ? full : Cut(record, Write(record, evaluation, withInputs: false).Json);
    }

    // A row still too large without its inputs keeps what names it outside the cut text, so that a reader (the operate
    // page's timeline) says which decision and version, and that the rest was cut (review10-18 F12: "undefined vundefined").
    private static string Cut(DecisionRecord record, string json)
    {
        if (json.Length <= MaxHistoryDetail)
        {
            return json;
        }

        // The cut text is written as a JSON string, whose escapes (a quote, a non-ASCII letter) make it longer: shorten
        // it until it fits, else the "cut" row was up to six times the limit.
        const int budget = MaxHistoryDetail - 3_000; // room for the id and name (200 characters each, escaped up to six times)
        var n = Math.Min(json.Length, budget);
        var text = JsonSerializer.Serialize(json[..n]);
        while (text.Length > budget && n > 0)
        {
            n = Math.Max(0, Math.Min(n - 1, (int)((long)n * budget / text.Length)));
            n -= n > 0 && char.IsHighSurrogate(json[n - 1]) ? 1 : 0;
            text = JsonSerializer.Serialize(json[..n]);
        }

        return JsonSerializer.Serialize(new
        {
            decisionId = record.DecisionId, name = record.Name.Length > 200 ? record.Name[..200] + "…" : record.Name, version = record.Version, cut = true, json = json[..n],
        });
    }

    // The JSON, and whether it is whole: it stops once it is longer than the row keeps.
    private static (string Json, bool Complete) Write(DecisionRecord record, DecisionEvaluation evaluation, bool withInputs)
    {
        // Bytes, and the row keeps characters: a byte budget of four times the characters cuts nothing the row could keep.
        const long Budget = 4L * MaxHistoryDetail;
        using var buffer = new MemoryStream();
        var complete = true;

        // Unchecked: a value cut short leaves the JSON unfinished, and only its beginning is kept then.
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            void Value(object? value) => complete = complete && FeelConvert.WriteJson(w, value, Budget);

            w.WriteStartObject();
            w.WriteString("decisionId", record.DecisionId);
            w.WriteString("name", record.Name);
            w.WriteNumber("version", record.Version);
            w.WritePropertyName("value");
            Value(evaluation.Value);
            w.WriteStartArray("decisions");
            foreach (var d in evaluation.Decisions)
            {
                if (!complete)
                {
                    break;
                }

                w.WriteStartObject();
                w.WriteString("decisionId", d.DecisionId);
                w.WriteString("name", d.Name);
                w.WriteStartArray("inputs");
                foreach (var input in d.Inputs)
                {
                    w.WriteStartObject();
                    w.WriteString("label", input.Label);
                    w.WritePropertyName("value");
                    if (withInputs)
                    {
                        Value(input.Value);
                    }
                    else
                    {
                        w.WriteStringValue("(cut: too large)");
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("matchedRules");
                foreach (var rule in d.MatchedRules)
                {
                    w.WriteStartObject();
                    w.WriteString("ruleId", rule.RuleId);
                    w.WriteNumber("index", rule.Index);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WritePropertyName("output");
                Value(d.Value);
                w.WriteEndObject();
            }

            if (!complete)
            {
                w.Flush();
                return (Encoding.UTF8.GetString(buffer.ToArray()), false);
            }

            w.WriteEndArray();
            if (evaluation.Warnings.Count > 0)
            {
                w.WriteStartArray("warnings");
                foreach (var warning in evaluation.Warnings.Take(20))
                {
                    w.WriteStringValue(warning);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return (Encoding.UTF8.GetString(buffer.ToArray()), true);
    }
}
