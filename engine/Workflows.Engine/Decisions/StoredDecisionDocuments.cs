using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Decisions;

/// <summary>
/// The stored XML of decision versions, and its canonical checksum, read once per document while one deployment
/// compares its decisions with their latest versions: the decisions of one document share it, so a deployment of n
/// decisions reads it once, not n times (review18 F19). A version stored before documents were (migration 0029) has
/// its own copy, read for itself.
/// </summary>
internal sealed class StoredDecisionDocuments(IDecisionStore store, CancellationToken ct)
{
    private readonly Dictionary<Guid, string> _xml = [];
    private readonly Dictionary<Guid, string?> _checksums = [];

    /// <summary>The version's XML (its document's); empty when the version is no longer stored.</summary>
    public async ValueTask<string> XmlAsync(DecisionRecord version)
    {
        var key = version.DocumentId ?? version.Id;
        if (!_xml.TryGetValue(key, out var xml))
        {
            xml = version.Xml.Length > 0 ? version.Xml : (await store.GetDecisionAsync(version.Id, ct).ConfigureAwait(false))?.Xml ?? "";
            _xml[key] = xml;
        }

        return xml;
    }

    /// <summary>The canonical checksum of the version's XML under today's canonical form (null when it does not read).</summary>
    public async ValueTask<string?> ChecksumAsync(DecisionRecord version)
    {
        var key = version.DocumentId ?? version.Id;
        if (!_checksums.TryGetValue(key, out var checksum))
        {
            checksum = CanonicalModel.Checksum(await XmlAsync(version).ConfigureAwait(false));
            _checksums[key] = checksum;
        }

        return checksum;
    }
}
