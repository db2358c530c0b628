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
        w.WriteNumber("fmt"u8, Format);
        w.WriteNumber("next"u8, state.NextKey);
        if (state.ParentElementKey is { } callKey)
        {
            w.WriteNumber("callKey"u8, callKey);
        }

        w.WritePropertyName("vars"u8);
        FeelConvert.WriteJson(w, state.Variables);
        w.WriteStartArray("elements"u8);
        foreach (var e in state.Elements.Values)
        {
            WriteElement(w, e);
        }

        w.WriteEndArray();
        if (state.Compensations is { Count: > 0 } compensations)
        {
            w.WriteStartArray("compensations"u8);
            foreach (var c in compensations)
            {
                w.WriteStartObject();
                w.WriteNumber("k"u8, c.Key);
                w.WriteString("id"u8, c.ElementId);
                w.WriteNumber("s"u8, c.ScopeKey);
                w.WriteNumber("q"u8, c.Sequence);
                if (c.Variables is not null)
                {
                    w.WritePropertyName("v"u8);
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
        w.WriteNumber("k"u8, e.Key);
        w.WriteString("id"u8, e.ElementId);
        if (e.ParentKey != 0)
        {
            w.WriteNumber("p"u8, e.ParentKey);
        }

        if (e.Variables is not null && e.Key != InstanceState.RootKey)
        {
            w.WritePropertyName("v"u8);
            FeelConvert.WriteJson(w, e.Variables);
        }

        WriteGuid(w, "task"u8, e.TaskId);
        WriteGuid(w, "job"u8, e.JobId);
        WriteGuid(w, "call"u8, e.CalledInstanceId);
        WriteGuid(w, "inc"u8, e.IncidentId);
        if (e.IncidentPhase != IncidentPhase.None)
        {
            w.WriteNumber("ph"u8, (int)e.IncidentPhase);
        }

        if (e.Waits is { Count: > 0 })
        {
            w.WriteStartArray("w"u8);
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

        WriteFlowsByGateway(w, "j"u8, e.JoinArrivals);
        WriteFlowsByGateway(w, "cx"u8, e.ComplexResets);

        if (e.IsMultiInstanceBody)
        {
            w.WriteBoolean("mib"u8, true);
            w.WriteNumber("tot"u8, e.Total);
            w.WriteNumber("st"u8, e.Started);
            w.WriteNumber("done"u8, e.Completed);
            if (e.Collection is not null)
            {
                w.WritePropertyName("col"u8);
                FeelConvert.WriteJson(w, e.Collection);
            }
        }

        if (e.IsMultiInstanceInner)
        {
            w.WriteNumber("loop"u8, e.LoopCounter);
        }

        if (e.Interrupted)
        {
            w.WriteBoolean("int"u8, true);
        }

        if (e.CompensatingKey is { } compensating)
        {
            w.WriteNumber("cmp"u8, compensating);
        }

        if (e.Cancelled)
        {
            w.WriteBoolean("cxl"u8, true);
        }

        w.WriteEndObject();
    }

    private static void WriteFlowsByGateway(Utf8JsonWriter w, ReadOnlySpan<byte> name, Dictionary<string, List<string>>? flowsByGateway)
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

    private static void WriteGuid(Utf8JsonWriter w, ReadOnlySpan<byte> name, Guid? value)
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
