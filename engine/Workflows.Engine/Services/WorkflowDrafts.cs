using System.Text;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// Analysts' drafts: BPMN documents saved on the server without being deployed, each kept by the analyst who made it
/// (listed, opened, saved again, renamed and deleted by that analyst only).
/// </summary>
/// <remarks>
/// A draft is not checked as a model (it may be half drawn); it is limited in size, in number per analyst and in the
/// length of its name. Each save names the revision it replaces: a save from another tab or browser in between is a
/// conflict, never a silent overwrite. Another analyst's draft reads as absent (not found), so its existence is not told.
/// </remarks>
public sealed class WorkflowDrafts
{
    /// <summary>The largest draft, in UTF-8 bytes of its XML: 4 MiB (a host refuses at its own, usually lower, BPMN limit first).</summary>
    public const int MaxXmlBytes = 4 << 20;

    /// <summary>At most this many drafts per analyst.</summary>
    public const int MaxDraftsPerAnalyst = 200;

    /// <summary>The longest name of a draft (and of the process id it records).</summary>
    public const int MaxNameLength = 200;

    private readonly CommandRunner _runner;

    internal WorkflowDrafts(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    /// <summary>The analyst's drafts, the latest saved first, without their XML.</summary>
    /// <exception cref="WorkflowInputException">No analyst named.</exception>
    public async Task<IReadOnlyList<DraftSummary>> ListAsync(string analyst, CancellationToken cancellationToken = default)
    {
        RequireAnalyst(analyst);
        return (await Store.GetDraftsAsync(analyst, cancellationToken).ConfigureAwait(false)).Select(Summary).ToList();
    }

    /// <summary>One of the analyst's drafts with its XML.</summary>
    /// <exception cref="WorkflowNotFoundException">The analyst has no draft of that id.</exception>
    public async Task<Draft> GetAsync(string analyst, Guid id, CancellationToken cancellationToken = default)
    {
        RequireAnalyst(analyst);
        return Full(await Store.GetDraftAsync(analyst, id, cancellationToken).ConfigureAwait(false) ?? throw NotFound(analyst, id));
    }

    /// <summary>Saves a new draft of the analyst's, at revision 1.</summary>
    /// <exception cref="WorkflowInputException">No name or XML, a name, process id or XML over its limit, or the analyst has <see cref="MaxDraftsPerAnalyst"/> drafts already.</exception>
    public async Task<Draft> CreateAsync(string analyst, string name, string xml, string? processId = null, CancellationToken cancellationToken = default)
    {
        RequireAnalyst(analyst);
        var now = _runner.Time.GetUtcNow();
        var record = new DraftRecord(Guid.NewGuid(), analyst, CheckName(name), CheckProcessId(processId), xml, CheckXml(xml), 1, now, now);
        if (!await Store.InsertDraftAsync(record, MaxDraftsPerAnalyst, cancellationToken).ConfigureAwait(false))
        {
            throw new WorkflowInputException($"{analyst} has {MaxDraftsPerAnalyst} drafts, the most an analyst keeps: delete one before saving another");
        }

        return Full(record);
    }

    /// <summary>Replaces the XML of the analyst's draft, which must still be at <paramref name="revision"/>; returns it at the next revision.</summary>
    /// <exception cref="WorkflowInputException">No XML, or XML or process id over its limit.</exception>
    /// <exception cref="WorkflowNotFoundException">The analyst has no draft of that id.</exception>
    /// <exception cref="WorkflowConflictException">The draft was saved at another revision since (another tab or browser): nothing is overwritten.</exception>
    public async Task<Draft> SaveAsync(string analyst, Guid id, string xml, long revision, string? processId = null, CancellationToken cancellationToken = default)
    {
        RequireAnalyst(analyst);
        var bytes = CheckXml(xml);
        var stored = await Store.GetDraftAsync(analyst, id, cancellationToken).ConfigureAwait(false) ?? throw NotFound(analyst, id);
        var saved = stored with { Xml = xml, Bytes = bytes, ProcessId = CheckProcessId(processId) ?? stored.ProcessId, SavedAt = _runner.Time.GetUtcNow() };
        if (stored.Revision != revision || !await Store.SaveDraftXmlAsync(saved, revision, cancellationToken).ConfigureAwait(false))
        {
            var now = await Store.GetDraftAsync(analyst, id, cancellationToken).ConfigureAwait(false) ?? throw NotFound(analyst, id);
            throw new WorkflowConflictException(
                $"draft '{now.Name}' is at revision {now.Revision} (saved {now.SavedAt:u}), not {revision}: it was saved elsewhere since it was opened; open it again, or save this diagram as a new draft");
        }

        return Full(saved with { Revision = revision + 1 });
    }

    /// <summary>Renames the analyst's draft; its XML and revision stay as they are.</summary>
    /// <exception cref="WorkflowInputException">No name, or a name over <see cref="MaxNameLength"/>.</exception>
    /// <exception cref="WorkflowNotFoundException">The analyst has no draft of that id.</exception>
    public async Task<DraftSummary> RenameAsync(string analyst, Guid id, string name, CancellationToken cancellationToken = default)
    {
        RequireAnalyst(analyst);
        name = CheckName(name);
        if (!await Store.RenameDraftAsync(analyst, id, name, cancellationToken).ConfigureAwait(false))
        {
            throw NotFound(analyst, id);
        }

        return Summary(await Store.GetDraftAsync(analyst, id, cancellationToken).ConfigureAwait(false) ?? throw NotFound(analyst, id));
    }

    /// <summary>Deletes the analyst's draft.</summary>
    /// <exception cref="WorkflowNotFoundException">The analyst has no draft of that id.</exception>
    public async Task DeleteAsync(string analyst, Guid id, CancellationToken cancellationToken = default)
    {
        RequireAnalyst(analyst);
        if (!await Store.DeleteDraftAsync(analyst, id, cancellationToken).ConfigureAwait(false))
        {
            throw NotFound(analyst, id);
        }
    }

    private static DraftSummary Summary(DraftRecord d) => new(d.Id, d.Name, d.ProcessId, d.Bytes, d.Revision, d.CreatedAt, d.SavedAt);

    private static Draft Full(DraftRecord d) => new(d.Id, d.Name, d.ProcessId, d.Bytes, d.Revision, d.CreatedAt, d.SavedAt, d.Xml);

    // The same words whether the draft does not exist or is another analyst's: an id tells nobody else's drafts apart.
    private static WorkflowNotFoundException NotFound(string analyst, Guid id) => new($"{analyst} has no draft {id}");

    private static void RequireAnalyst(string analyst)
    {
        if (string.IsNullOrWhiteSpace(analyst))
        {
            throw new WorkflowInputException("a draft belongs to an analyst: name who saves or reads it");
        }
    }

    private static string CheckName(string name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new WorkflowInputException("name: a draft needs a name");
        }

        return trimmed.Length > MaxNameLength
            ? throw new WorkflowInputException($"name is {trimmed.Length:N0} characters long; a draft's name takes at most {MaxNameLength}")
            : trimmed;
    }

    private static string? CheckProcessId(string? processId) =>
        processId is { Length: > MaxNameLength }
            ? throw new WorkflowInputException($"processId is {processId.Length:N0} characters long; at most {MaxNameLength}")
            : string.IsNullOrWhiteSpace(processId) ? null : processId;

    private static int CheckXml(string xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            throw new WorkflowInputException("xml: a draft holds the BPMN XML of the diagram; it is empty");
        }

        var bytes = Encoding.UTF8.GetByteCount(xml);
        return bytes > MaxXmlBytes
            ? throw new WorkflowInputException($"xml is {bytes:N0} bytes; a draft holds at most {MaxXmlBytes:N0} bytes")
            : bytes;
    }
}

/// <summary>A draft as listed: no XML.</summary>
/// <param name="Id">The draft's id.</param>
/// <param name="Name">The analyst's name for it.</param>
/// <param name="ProcessId">The process it was saved from, when the designer knew one.</param>
/// <param name="Bytes">The size of its XML in UTF-8 bytes.</param>
/// <param name="Revision">How many times it was saved: a save names the revision it replaces.</param>
/// <param name="CreatedAt">When it was first saved.</param>
/// <param name="SavedAt">When it was last saved.</param>
public sealed record DraftSummary(Guid Id, string Name, string? ProcessId, int Bytes, long Revision, DateTimeOffset CreatedAt, DateTimeOffset SavedAt);

/// <summary>A draft with its BPMN XML.</summary>
/// <param name="Id">The draft's id.</param>
/// <param name="Name">The analyst's name for it.</param>
/// <param name="ProcessId">The process it was saved from, when the designer knew one.</param>
/// <param name="Bytes">The size of its XML in UTF-8 bytes.</param>
/// <param name="Revision">How many times it was saved: a save names the revision it replaces.</param>
/// <param name="CreatedAt">When it was first saved.</param>
/// <param name="SavedAt">When it was last saved.</param>
/// <param name="Xml">The BPMN XML as saved.</param>
public sealed record Draft(Guid Id, string Name, string? ProcessId, int Bytes, long Revision, DateTimeOffset CreatedAt, DateTimeOffset SavedAt, string Xml);
