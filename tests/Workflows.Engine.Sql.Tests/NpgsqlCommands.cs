using System.Diagnostics.Metrics;

namespace Workflows.Engine.Sql.Tests;

/// <summary>The commands and batches Npgsql has run in this process (its meter records one duration per execution).</summary>
internal static class NpgsqlCommands
{
    private static long s_count;
    private static readonly MeterListener s_listener = Listen();

    public static long Count
    {
        get
        {
            _ = s_listener;
            return Interlocked.Read(ref s_count);
        }
    }

    // Npgsql 10's "db.client.operation.duration" (before 10: "db.client.commands.duration"): one per command or batch run.
    private static bool IsDuration(string name) => name.EndsWith(".duration", StringComparison.Ordinal) && !name.Contains("connection", StringComparison.Ordinal);

    private static MeterListener Listen()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Npgsql" && IsDuration(instrument.Name))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (IsDuration(instrument.Name))
            {
                Interlocked.Increment(ref s_count);
            }
        });
        listener.Start();
        return listener;
    }
}
