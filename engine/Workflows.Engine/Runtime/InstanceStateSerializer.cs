using System.Buffers;
using System.Text.Json;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Writes and reads <see cref="InstanceState"/> as compact JSON, by hand, so that a commit costs
/// microseconds and the stored form stays readable in any database console.
/// </summary>
/// <remarks>
/// The JSON carries its format (<c>"fmt"</c>); state without it is format 1, the first one, and is read as
/// it always was. A state whose format is newer than <see cref="Format"/>, or that holds a key this version
/// does not know, is refused with <see cref="InvalidDataException"/> naming the instance and the key: a
/// node running older code never silently drops what a newer one wrote. A new key therefore means a new
/// format number, and this reader learning the key. Format 3 added the compensation records
/// (<c>"compensations"</c>) and, on elements, <c>"cmp"</c> (compensating a completed sub-process), <c>"cxl"</c> (a cancelled transaction)
/// and <c>"cx"</c> (the complex joins waiting for reset).
/// </remarks>
internal static partial class InstanceStateSerializer
{
    /// <summary>The format this version writes, and the newest it reads.</summary>
    public const int Format = 3;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    // Kept with the buffer and reset for each state, as every commit writes one.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    // Written and read to the same depth, far above any variable the engine accepts (ExecutionLimits.MaxVariableDepth):
    // System.Text.Json reads 64 levels by default and writes 1,000, which once let a state be committed that no command
    // could read again. A state deeper than this is not written at all (the command fails, nothing is committed).
    private static readonly JsonWriterOptions s_writerOptions = new() { MaxDepth = ExecutionLimits.MaxStoredJsonDepth };

    // The property names, encoded once: a name given as bytes is checked for characters to escape at every write (~1 % of an
    // in-memory command's CPU, round 17), an encoded one is written as it is. The same bytes either way.
    private static readonly JsonEncodedText s_call = JsonEncodedText.Encode("call"u8);
    private static readonly JsonEncodedText s_callKey = JsonEncodedText.Encode("callKey"u8);
    private static readonly JsonEncodedText s_cmp = JsonEncodedText.Encode("cmp"u8);
    private static readonly JsonEncodedText s_col = JsonEncodedText.Encode("col"u8);
    private static readonly JsonEncodedText s_compensations = JsonEncodedText.Encode("compensations"u8);
    private static readonly JsonEncodedText s_cx = JsonEncodedText.Encode("cx"u8);
    private static readonly JsonEncodedText s_cxl = JsonEncodedText.Encode("cxl"u8);
    private static readonly JsonEncodedText s_done = JsonEncodedText.Encode("done"u8);
    private static readonly JsonEncodedText s_elements = JsonEncodedText.Encode("elements"u8);
    private static readonly JsonEncodedText s_fmt = JsonEncodedText.Encode("fmt"u8);
    private static readonly JsonEncodedText s_id = JsonEncodedText.Encode("id"u8);
    private static readonly JsonEncodedText s_inc = JsonEncodedText.Encode("inc"u8);
    private static readonly JsonEncodedText s_int = JsonEncodedText.Encode("int"u8);
    private static readonly JsonEncodedText s_j = JsonEncodedText.Encode("j"u8);
    private static readonly JsonEncodedText s_job = JsonEncodedText.Encode("job"u8);
    private static readonly JsonEncodedText s_k = JsonEncodedText.Encode("k"u8);
    private static readonly JsonEncodedText s_loop = JsonEncodedText.Encode("loop"u8);
    private static readonly JsonEncodedText s_mib = JsonEncodedText.Encode("mib"u8);
    private static readonly JsonEncodedText s_next = JsonEncodedText.Encode("next"u8);
    private static readonly JsonEncodedText s_p = JsonEncodedText.Encode("p"u8);
    private static readonly JsonEncodedText s_ph = JsonEncodedText.Encode("ph"u8);
    private static readonly JsonEncodedText s_q = JsonEncodedText.Encode("q"u8);
    private static readonly JsonEncodedText s_s = JsonEncodedText.Encode("s"u8);
    private static readonly JsonEncodedText s_st = JsonEncodedText.Encode("st"u8);
    private static readonly JsonEncodedText s_task = JsonEncodedText.Encode("task"u8);
    private static readonly JsonEncodedText s_tot = JsonEncodedText.Encode("tot"u8);
    private static readonly JsonEncodedText s_v = JsonEncodedText.Encode("v"u8);
    private static readonly JsonEncodedText s_vars = JsonEncodedText.Encode("vars"u8);
    private static readonly JsonEncodedText s_w = JsonEncodedText.Encode("w"u8);

    /// <summary>How the engine reads the JSON it stored: an instance's state, the variables of a task, a job or a message.</summary>
    internal static readonly JsonDocumentOptions ReaderOptions = new() { MaxDepth = ExecutionLimits.MaxStoredJsonDepth };

    public static byte[] Serialize(InstanceState state)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, s_writerOptions);
        writer.Reset(buffer); // also after a write that failed half-way
        try
        {
            Write(writer, state);
            writer.Flush();
        }
        catch (InvalidOperationException e) when (e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"the state of instance {state.Id} nests deeper than {ExecutionLimits.MaxStoredJsonDepth} levels and is not stored: a variable escaped the check of ExecutionLimits.MaxVariableDepth", e);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter w, InstanceState state)
    {
        w.WriteStartObject();
        w.WriteNumber(s_fmt, Format);
        w.WriteNumber(s_next, state.NextKey);
        if (state.ParentElementKey is { } callKey)
        {
            w.WriteNumber(s_callKey, callKey);
        }

        w.WritePropertyName(s_vars);
        FeelConvert.WriteJson(w, state.Variables);
        w.WriteStartArray(s_elements);
        foreach (var e in state.Elements.Values)
        {
            WriteElement(w, e);
        }

        w.WriteEndArray();
        if (state.Compensations is { Count: > 0 } compensations)
        {
            w.WriteStartArray(s_compensations);
            foreach (var c in compensations)
            {
                w.WriteStartObject();
                w.WriteNumber(s_k, c.Key);
                w.WriteString(s_id, c.ElementId);
                w.WriteNumber(s_s, c.ScopeKey);
                w.WriteNumber(s_q, c.Sequence);
                if (c.Variables is not null)
                {
                    w.WritePropertyName(s_v);
                    FeelConvert.WriteJson(w, c.Variables);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteElement(Utf8JsonWriter w, ElementInstance e)
    {
        w.WriteStartObject();
        w.WriteNumber(s_k, e.Key);
        w.WriteString(s_id, e.ElementId);
        if (e.ParentKey != 0)
        {
            w.WriteNumber(s_p, e.ParentKey);
        }

        if (e.Variables is not null && e.Key != InstanceState.RootKey)
        {
            w.WritePropertyName(s_v);
            FeelConvert.WriteJson(w, e.Variables);
        }

        WriteGuid(w, s_task, e.TaskId);
        WriteGuid(w, s_job, e.JobId);
        WriteGuid(w, s_call, e.CalledInstanceId);
        WriteGuid(w, s_inc, e.IncidentId);
        if (e.IncidentPhase != IncidentPhase.None)
        {
            w.WriteNumber(s_ph, (int)e.IncidentPhase);
        }

        if (e.Waits is { Count: > 0 })
        {
            w.WriteStartArray(s_w);
            foreach (var wait in e.Waits)
            {
                w.WriteStartArray();
                w.WriteNumberValue((int)wait.Kind);
                w.WriteStringValue(wait.Id);
                w.WriteStringValue(wait.ElementId);
                w.WriteEndArray();
            }

            w.WriteEndArray();
        }

        WriteFlowsByGateway(w, s_j, e.JoinArrivals);
        WriteFlowsByGateway(w, s_cx, e.ComplexResets);

        if (e.IsMultiInstanceBody)
        {
            w.WriteBoolean(s_mib, true);
            w.WriteNumber(s_tot, e.Total);
            w.WriteNumber(s_st, e.Started);
            w.WriteNumber(s_done, e.Completed);
            if (e.Collection is not null)
            {
                w.WritePropertyName(s_col);
                FeelConvert.WriteJson(w, e.Collection);
            }
        }

        if (e.IsMultiInstanceInner)
        {
            w.WriteNumber(s_loop, e.LoopCounter);
        }

        if (e.Interrupted)
        {
            w.WriteBoolean(s_int, true);
        }

        if (e.CompensatingKey is { } compensating)
        {
            w.WriteNumber(s_cmp, compensating);
        }

        if (e.Cancelled)
        {
            w.WriteBoolean(s_cxl, true);
        }

        w.WriteEndObject();
    }

    private static void WriteFlowsByGateway(Utf8JsonWriter w, JsonEncodedText name, Dictionary<string, List<string>>? flowsByGateway)
    {
        if (flowsByGateway is not { Count: > 0 })
        {
            return;
        }

        w.WriteStartObject(name);
        foreach (var (gateway, flows) in flowsByGateway)
        {
            w.WriteStartArray(gateway);
            foreach (var flow in flows)
            {
                w.WriteStringValue(flow);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteGuid(Utf8JsonWriter w, JsonEncodedText name, Guid? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
    }

    /// <summary>An instance's state with only what its row says (who, where, status, row version): no tokens, no variables.</summary>
    public static InstanceState FromRow(Storage.InstanceRecord record) => new()
    {
        Id = record.Id,
        ProcessId = record.ProcessId,
        DefinitionId = record.DefinitionId,
        Version = record.Version,
        BusinessKey = record.BusinessKey,
        Status = record.Status,
        StartedAt = record.StartedAt,
        EndedAt = record.EndedAt,
        RowVersion = record.RowVersion,
        ParentInstanceId = record.ParentInstanceId,
    };
}
