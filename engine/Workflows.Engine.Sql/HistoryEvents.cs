using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

/// <summary>
/// A command's history for one instance as one row (migration 25): its events as a compact JSON array, so a command
/// costs the history table one entry and its instance index one, not one of each per event.
/// </summary>
/// <remarks>
/// Each event is <c>{"k": kind, "e": element id, "ek": element key, "a": actor, "d": detail, "t": ticks}</c>; a member
/// that is null is left out, and "t" is left out when the event happened at the row's time (the command's).
/// The view <c>wf_history</c> reads the same members, so both must change together.
/// </remarks>
internal static class HistoryEvents
{
    // Storage, not a page: non-ASCII text (French names, accents) is kept as it is rather than escaped, which is shorter.
    private static readonly JsonWriterOptions s_writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The rows a change set's history is written as: one per instance, its events in the order they happened; on SQLite
    /// (<paramref name="utf8"/>) their events are the UTF-8 text SQLite stores (<see cref="Utf8CommandRow"/>), else a string.
    /// </summary>
    /// <remarks>
    /// Made by the command's caller before its change set queues for SQLite's one writer (<see cref="CommitQueue"/>): that
    /// thread holds the rate at many clients, and the JSON writer and a UTF-16 string copied again into UTF-8 to bind it
    /// were its work (issue 19, round 20).
    /// </remarks>
    public static List<object> Rows(IReadOnlyList<HistoryRecord> history, bool utf8)
    {
        if (history.Count == 0)
        {
            return [];
        }

        if (OfOneInstance(history))
        {
            // The usual command: one instance's events, in one row without grouping them first.
            var at0 = history[0].At.UtcTicks;
            return [Row(history[0].InstanceId, at0, history, utf8)];
        }

        var rows = new List<object>();
        foreach (var events in history.GroupBy(h => h.InstanceId))
        {
            var at = events.First().At.UtcTicks;
            rows.Add(Row(events.Key, at, events, utf8));
        }

        return rows;
    }

    private static object Row(Guid instanceId, long at, IEnumerable<HistoryRecord> events, bool utf8) => utf8
        ? new Utf8CommandRow(instanceId, at, new Utf8Text(Encode(events, at, static json => json.ToArray())))
        : new CommandRow(instanceId, at, Encode(events, at, static json => System.Text.Encoding.UTF8.GetString(json)));

    private static bool OfOneInstance(IReadOnlyList<HistoryRecord> history)
    {
        var first = history[0].InstanceId;
        for (var i = 1; i < history.Count; i++)
        {
            if (history[i].InstanceId != first)
            {
                return false;
            }
        }

        return true;
    }

    // Each thread's buffer and writer, used again by every encoding on it: a JSON writer asks its buffer for 4 KB at
    // least, so a new buffer per command was a 4 KB array cleared and thrown away on every commit.
    [ThreadStatic]
    private static Writer? t_writer;

    // Dropped rather than kept when one history made it this large (a batch of many instances): the next starts small.
    private const int MaxKeptBuffer = 64 * 1024;

    // The events' JSON, handed to copy (the thread's buffer is written again by the next encoding).
    private static T Encode<T>(IEnumerable<HistoryRecord> events, long at, Func<ReadOnlySpan<byte>, T> copy)
    {
        var writer = t_writer ??= new Writer();
        var (buffer, json) = (writer.Buffer, writer.Json);
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        try
        {
            json.WriteStartArray();
            foreach (var h in events)
            {
                json.WriteStartObject();
                json.WriteString("k", h.Kind);
                if (h.ElementId is { } elementId)
                {
                    json.WriteString("e", elementId);
                }

                if (h.ElementKey is { } elementKey)
                {
                    json.WriteNumber("ek", elementKey);
                }

                if (h.Actor is { } actor)
                {
                    json.WriteString("a", actor);
                }

                if (h.Detail is { } detail)
                {
                    json.WriteString("d", detail);
                }

                if (h.At.UtcTicks != at)
                {
                    json.WriteNumber("t", h.At.UtcTicks);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.Flush();
            var text = copy(buffer.WrittenSpan);
            if (buffer.Capacity > MaxKeptBuffer)
            {
                t_writer = null;
            }

            return text;
        }
        catch
        {
            t_writer = null; // a writer left mid-array is not used again
            throw;
        }
    }

    /// <summary>A thread's buffer and the JSON writer on it.</summary>
    private sealed class Writer
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(4096);

        public Utf8JsonWriter Json { get; }

        public Writer() => Json = new Utf8JsonWriter(Buffer, s_writer);
    }

    /// <summary>The events of one stored row, in order.</summary>
    /// <exception cref="InvalidDataException">The row is not an array of events as <see cref="Rows"/> writes them.</exception>
    public static IEnumerable<HistoryRecord> Decode(Guid instanceId, long at, string events)
    {
        using var document = JsonDocument.Parse(events);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"the history of instance {instanceId} holds a row that is not an array of events");
        }

        var decoded = new List<HistoryRecord>(document.RootElement.GetArrayLength());
        foreach (var e in document.RootElement.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("k", out var kind) || kind.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"the history of instance {instanceId} holds an event without a kind");
            }

            decoded.Add(new HistoryRecord(
                instanceId,
                SqlWorkflowStore.Time(e.TryGetProperty("t", out var t) ? t.GetInt64() : at),
                kind.GetString()!,
                Text(e, "e"),
                e.TryGetProperty("ek", out var key) ? key.GetInt64() : null,
                Text(e, "a"),
                Text(e, "d")));
        }

        return decoded;
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var value) ? value.GetString() : null;

    /// <summary>One row of <c>wf_history_commands</c>, as written.</summary>
    public sealed record CommandRow(Guid InstanceId, long At, string Events);

    /// <summary>One row of <c>wf_history_commands</c> as SQLite's writer binds it: its events already UTF-8.</summary>
    public sealed record Utf8CommandRow(Guid InstanceId, long At, Utf8Text Events);
}
