using Workflows.Engine.Feel;

namespace Workflows.Engine.Validation;

/// <summary>How serious a finding is: errors block a deployment, warnings do not.</summary>
public enum FindingSeverity
{
    /// <summary>The model cannot run as written.</summary>
    Error,

    /// <summary>The model runs, but probably not as the analyst meant.</summary>
    Warning,
}

/// <summary>One problem found in a BPMN document.</summary>
/// <param name="Severity">Whether it blocks deployment.</param>
/// <param name="Code">A stable machine-readable code such as <c>FLOW_TARGET_MISSING</c>.</param>
/// <param name="ElementId">The BPMN element concerned, when there is one.</param>
/// <param name="Line">1-based line in the XML, 0 when unknown.</param>
/// <param name="Column">1-based column in the XML, 0 when unknown.</param>
/// <param name="Message">A sentence an analyst can act on.</param>
public sealed record ValidationFinding(FindingSeverity Severity, string Code, string? ElementId, int Line, int Column, string Message)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Line}:{Column} {(Severity == FindingSeverity.Error ? "error" : "warning")} {Code}{(ElementId is null ? "" : $" [{ElementId}]")}: {Message}";
}

/// <summary>All findings for a document, collected in one pass so an analyst sees every problem at once.</summary>
public sealed class ValidationReport
{
    internal ValidationReport(IReadOnlyList<ValidationFinding> findings) =>
        Findings = findings.OrderBy(f => f.Line).ThenBy(f => f.Column).ThenBy(f => f.Code, StringComparer.Ordinal).ToList();

    /// <summary>Every finding, in document order.</summary>
    public IReadOnlyList<ValidationFinding> Findings { get; }

    /// <summary>The findings that block deployment.</summary>
    public IEnumerable<ValidationFinding> Errors => Findings.Where(f => f.Severity == FindingSeverity.Error);

    /// <summary>The findings that do not block deployment.</summary>
    public IEnumerable<ValidationFinding> Warnings => Findings.Where(f => f.Severity == FindingSeverity.Warning);

    /// <summary>Whether any finding blocks deployment.</summary>
    public bool HasErrors => Findings.Any(f => f.Severity == FindingSeverity.Error);

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, Findings);
}

/// <summary>Limits applied while reading BPMN XML.</summary>
/// <remarks>DTDs are always refused: they are how XXE and entity-expansion ("billion laughs") attacks arrive.</remarks>
public sealed class BpmnParserOptions
{
    /// <summary>The largest document accepted, in characters. Default 10,000,000 (about 10 MB).</summary>
    public long MaxDocumentCharacters { get; init; } = 10_000_000;

    /// <summary>The deepest element nesting accepted. Default 256.</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>
    /// The longest id of a process or an element (finding <c>ID_TOO_LONG</c>; in DMN <c>DMN_ID_TOO_LONG</c>): ids travel into URLs, headers, logs and
    /// rows. Default 200 characters.
    /// </summary>
    public int MaxIdLength { get; init; } = 200;

    /// <summary>
    /// The most decisions one DMN document may deploy (finding <c>DMN_TOO_MANY_DECISIONS</c>): each is a version row
    /// written, and compared with its latest version, at every deploy of the document; the document itself is stored
    /// once. Default 1,000.
    /// </summary>
    public int MaxDecisionsPerDocument { get; init; } = 1_000;

    /// <summary>
    /// The budgets of every FEEL expression in the model: call depth, steps, collection and string sizes,
    /// evaluation time, everything made in all, regular-expression time (see <see cref="FeelLimits"/> for the defaults). The expressions keep the
    /// limits they were parsed with, so these apply wherever the engine evaluates them.
    /// </summary>
    // A fresh instance, not FeelLimits.Default: configuration binding (Workflows:Engine:Parser:Feel) sets the
    // properties of the instance it finds, and must not change the defaults of every other engine in the process.
    public FeelLimits Feel { get; init; } = new();

    internal static BpmnParserOptions Default { get; } = new();
}

/// <summary>Thrown when a deployment is refused; <see cref="Report"/> holds every finding.</summary>
/// <param name="report">Every finding of the documents refused.</param>
/// <param name="title">What was refused, in words: "The BPMN document has errors" (the default), "The DMN document has errors", ….</param>
public sealed class DeploymentRejectedException(ValidationReport report, string title = DeploymentRejectedException.BpmnTitle)
    : Exception(title + ":" + Environment.NewLine + string.Join(Environment.NewLine, report.Errors))
{
    /// <summary>The title of a refused BPMN document.</summary>
    public const string BpmnTitle = "The BPMN document has errors";

    /// <summary>The findings that caused the rejection, and any warnings.</summary>
    public ValidationReport Report { get; } = report;

    /// <summary>What was refused, in words (a problem's title over HTTP): the BPMN document, the DMN document, the deployment's documents.</summary>
    public string Title { get; } = title;
}
