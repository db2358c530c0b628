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
internal static class InstanceStateSerializer
{
    /// <summary>The format this version writes, and the newest it reads.</summary>
    public const int Format = 3;

    private static readonly HashSet<string> s_rootKeys = new(StringComparer.Ordinal) { "fmt", "next", "callKey", "vars", "elements" };

    // Keys added by a format, and the format that added them: older formats refuse them.
    private static readonly Dictionary<string, int> s_rootKeysSince = new(StringComparer.Ordinal) { ["compensations"] = 3 };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

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
        try
        {
            Write(buffer, state);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"the state of instance {state.Id} nests deeper than {ExecutionLimits.MaxStoredJsonDepth} levels and is not stored: a variable escaped the check of ExecutionLimits.MaxVariableDepth", e);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(ArrayBufferWriter<byte> buffer, InstanceState state)
    {
        using (var w = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("fmt", Format);
            w.WriteNumber("next", state.NextKey);
            if (state.ParentElementKey is { } callKey)
            {
                w.WriteNumber("callKey", callKey);
            }

            w.WritePropertyName("vars");
            FeelConvert.WriteJson(w, state.Variables);
            w.WriteStartArray("elements");
            foreach (var e in state.Elements.Values)
            {
                WriteElement(w, e);
            }

            w.WriteEndArray();
            if (state.Compensations is { Count: > 0 } compensations)
            {
                w.WriteStartArray("compensations");
                foreach (var c in compensations)
                {
                    w.WriteStartObject();
                    w.WriteNumber("k", c.Key);
                    w.WriteString("id", c.ElementId);
                    w.WriteNumber("s", c.ScopeKey);
                    w.WriteNumber("q", c.Sequence);
                    if (c.Variables is not null)
                    {
                        w.WritePropertyName("v");
                        FeelConvert.WriteJson(w, c.Variables);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }
    }

    private static void WriteElement(Utf8JsonWriter w, ElementInstance e)
    {
        w.WriteStartObject();
        w.WriteNumber("k", e.Key);
        w.WriteString("id", e.ElementId);
        if (e.ParentKey != 0)
        {
            w.WriteNumber("p", e.ParentKey);
        }

        if (e.Variables is not null && e.Key != InstanceState.RootKey)
        {
            w.WritePropertyName("v");
            FeelConvert.WriteJson(w, e.Variables);
        }

        WriteGuid(w, "task", e.TaskId);
        WriteGuid(w, "job", e.JobId);
        WriteGuid(w, "call", e.CalledInstanceId);
        WriteGuid(w, "inc", e.IncidentId);
        if (e.IncidentPhase != IncidentPhase.None)
        {
            w.WriteNumber("ph", (int)e.IncidentPhase);
        }

        if (e.Waits is { Count: > 0 })
        {
            w.WriteStartArray("w");
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

        WriteFlowsByGateway(w, "j", e.JoinArrivals);
        WriteFlowsByGateway(w, "cx", e.ComplexResets);

        if (e.IsMultiInstanceBody)
        {
            w.WriteBoolean("mib", true);
            w.WriteNumber("tot", e.Total);
            w.WriteNumber("st", e.Started);
            w.WriteNumber("done", e.Completed);
            if (e.Collection is not null)
            {
                w.WritePropertyName("col");
                FeelConvert.WriteJson(w, e.Collection);
            }
        }

        if (e.IsMultiInstanceInner)
        {
            w.WriteNumber("loop", e.LoopCounter);
        }

        if (e.Interrupted)
        {
            w.WriteBoolean("int", true);
        }

        if (e.CompensatingKey is { } compensating)
        {
            w.WriteNumber("cmp", compensating);
        }

        if (e.Cancelled)
        {
            w.WriteBoolean("cxl", true);
        }

        w.WriteEndObject();
    }

    private static void WriteFlowsByGateway(Utf8JsonWriter w, string name, Dictionary<string, List<string>>? flowsByGateway)
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

    private static void WriteGuid(Utf8JsonWriter w, string name, Guid? value)
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

    public static InstanceState Deserialize(Storage.InstanceRecord record)
    {
        var state = FromRow(record);

        using var doc = JsonDocument.Parse(record.State, ReaderOptions);
        var root = doc.RootElement;
        var format = root.TryGetProperty("fmt", out var fmt) ? fmt.GetInt32() : 1;
        if (format > Format)
        {
            throw new InvalidDataException($"the state of instance {record.Id} is in format {format}, newer than this engine reads ({Format}): run it on the newer engine that wrote it");
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!s_rootKeys.Contains(property.Name) && !(s_rootKeysSince.TryGetValue(property.Name, out var since) && format >= since))
            {
                throw Unknown(record.Id, property.Name, "", format);
            }
        }

        state.NextKey = root.GetProperty("next").GetInt64();
        state.ParentElementKey = root.TryGetProperty("callKey", out var callKey) ? callKey.GetInt64() : null;
        state.Variables = ReadContext(root.GetProperty("vars"), record.Id, "\"vars\"")!;
        foreach (var e in root.GetProperty("elements").EnumerateArray())
        {
            var element = ReadElement(e, record.Id, format);
            if (element.Key == InstanceState.RootKey)
            {
                element.Variables = state.Variables;
            }

            if (!state.Elements.TryAdd(element.Key, element))
            {
                // Kept as it came, one of the two would be dropped unseen and its task, job or call left with no element.
                throw new InvalidDataException($"the state of instance {record.Id} holds element key {element.Key} twice ('{state.Elements[element.Key].ElementId}' and '{element.ElementId}'); it is refused rather than one dropped");
            }
        }

        if (root.TryGetProperty("compensations", out var compensations))
        {
            state.Compensations = [];
            foreach (var c in compensations.EnumerateArray())
            {
                state.Compensations.Add(ReadCompensation(c, record.Id, format));
            }
        }

        return state;
    }

    private static CompensationRecord ReadCompensation(JsonElement c, Guid instanceId, int format)
    {
        var elementId = RequiredString(c, "id", instanceId, "a compensation record");
        foreach (var property in c.EnumerateObject())
        {
            if (property.Name is not ("k" or "id" or "s" or "q" or "v"))
            {
                // Read and written again without it, a key a newer node wrote would be erased at the next commit.
                throw Unknown(instanceId, property.Name, $" in the compensation record of '{elementId}'", format);
            }
        }

        return new CompensationRecord
        {
            Key = c.GetProperty("k").GetInt64(),
            ElementId = elementId,
            ScopeKey = c.GetProperty("s").GetInt64(),
            Sequence = c.GetProperty("q").GetInt64(),
            Variables = c.TryGetProperty("v", out var v) ? ReadContext(v, instanceId, $"a compensation record of '{elementId}' with \"v\"") : null,
        };
    }

    private static Dictionary<string, List<string>> ReadFlowsByGateway(JsonElement value, Guid instanceId, string elementId, string name)
    {
        var flowsByGateway = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var gateway in value.EnumerateObject())
        {
            flowsByGateway[gateway.Name] = gateway.Value.EnumerateArray()
                .Select(f => f.ValueKind == JsonValueKind.String
                    ? f.GetString()!
                    : throw new InvalidDataException($"the state of instance {instanceId} has, on element '{elementId}', \"{name}\" of gateway '{gateway.Name}' holding {Describe(f)} where a flow id (a string) belongs"))
                .ToList();
        }

        return flowsByGateway;
    }

    // JSON null read with GetString() would be a null id that later fails deep in the engine, far from the row that holds it.
    private static string RequiredString(JsonElement owner, string name, Guid instanceId, string where)
    {
        var value = owner.GetProperty(name);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"the state of instance {instanceId} has {where} whose \"{name}\" is {Describe(value)}, not a string");
    }

    // Variables are a context (a JSON object); null or any other value would pass a cast and fail the first command that reads them.
    private static FeelContext? ReadContext(JsonElement value, Guid instanceId, string what) =>
        value.ValueKind == JsonValueKind.Object
            ? (FeelContext?)FeelConvert.FromJson(value)
            : throw new InvalidDataException($"the state of instance {instanceId} has {what} that is {Describe(value)}, not an object of variables");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };

    // where: "" for the root, or " on element 'x'", " in the compensation record of 'x'".
    private static InvalidDataException Unknown(Guid instanceId, string key, string where, int format) =>
        new($"the state of instance {instanceId} holds the key '{key}'{where} that format {format} does not have; it is refused rather than dropped");

    private static ElementInstance ReadElement(JsonElement e, Guid instanceId, int format)
    {
        var element = new ElementInstance
        {
            Key = e.GetProperty("k").GetInt64(),
            ElementId = RequiredString(e, "id", instanceId, $"an element (key {e.GetProperty("k").GetInt64()})"),
            ParentKey = e.TryGetProperty("p", out var p) ? p.GetInt64() : 0,
        };

        foreach (var property in e.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "k" or "id" or "p":
                    break;
                case "v":
                    element.Variables = ReadContext(value, instanceId, $"element '{element.ElementId}' with \"v\"");
                    break;
                case "task":
                    element.TaskId = value.GetGuid();
                    break;
                case "job":
                    element.JobId = value.GetGuid();
                    break;
                case "call":
                    element.CalledInstanceId = value.GetGuid();
                    break;
                case "inc":
                    element.IncidentId = value.GetGuid();
                    break;
                case "ph":
                    element.IncidentPhase = (IncidentPhase)value.GetInt32();
                    break;
                case "w":
                    element.Waits = [];
                    foreach (var wait in value.EnumerateArray())
                    {
                        // Exactly [kind, id, element id]: more items would be cut at the next commit, a null id fail later.
                        if (wait.ValueKind != JsonValueKind.Array || wait.GetArrayLength() != 3 || wait[2].ValueKind != JsonValueKind.String)
                        {
                            throw new InvalidDataException($"the state of instance {instanceId} has, on element '{element.ElementId}', the wait {wait.GetRawText()}, which is not [kind, id, element id]");
                        }

                        element.Waits.Add(new WaitRef((WaitKind)wait[0].GetInt32(), wait[1].GetGuid(), wait[2].GetString()!));
                    }

                    break;
                case "j":
                    element.JoinArrivals = ReadFlowsByGateway(value, instanceId, element.ElementId, "j");
                    break;
                case "cx" when format >= 3:
                    element.ComplexResets = ReadFlowsByGateway(value, instanceId, element.ElementId, "cx");
                    break;
                case "mib":
                    element.IsMultiInstanceBody = true;
                    break;
                case "tot":
                    element.Total = value.GetInt32();
                    break;
                case "st":
                    element.Started = value.GetInt32();
                    break;
                case "done":
                    element.Completed = value.GetInt32();
                    break;
                case "col":
                    element.Collection = value.ValueKind == JsonValueKind.Array
                        ? (List<object?>?)FeelConvert.FromJson(value)
                        : throw new InvalidDataException($"the state of instance {instanceId} has, on element '{element.ElementId}', \"col\" that is {Describe(value)}, not a list");
                    break;
                case "loop":
                    element.IsMultiInstanceInner = true;
                    element.LoopCounter = value.GetInt32();
                    break;
                case "int":
                    element.Interrupted = true;
                    break;
                case "cmp" when format >= 3:
                    element.CompensatingKey = value.GetInt64();
                    break;
                case "cxl" when format >= 3:
                    element.Cancelled = true;
                    break;
                default:
                    throw Unknown(instanceId, property.Name, $" on element '{element.ElementId}'", format);
            }
        }

        return element;
    }
}
