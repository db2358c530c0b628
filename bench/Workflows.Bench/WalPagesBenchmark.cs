using System.Buffers.Binary;
using Dapper;
using Workflows.Engine;
using Workflows.Engine.Sql;

namespace Workflows.Bench;

/// <summary>
/// Issue 19 item 3: the pages a command writes to SQLite's write-ahead log, read from the log itself. The library's
/// complaint journey (its decisions, a branch pin and a calendar, as the host runs it) on a fresh SQLite file: after a
/// warm-up, the log is emptied (a TRUNCATE checkpoint), a run of one kind of command is made one at a time, and the
/// log's frames are counted per commit and attributed to the b-tree (table or index) each page belongs to.
/// </summary>
/// <remarks>
/// Deterministic for a given build and schema (no timing is involved), so it can be run on a loaded machine. A frame is
/// one page image (the page size plus a 24-byte header) appended by a commit; a page written twice in one transaction
/// is one frame, so frames per commit is the pages a command dirties. Each run's pages are attributed right after it
/// (a page freed by one b-tree may later serve another). WORKFLOWS_BENCH_KEEP=/path keeps a copy of the database and of
/// each run's log there, to read with the sqlite3 shell.
/// </remarks>
internal static class WalPagesBenchmark
{
    private static int s_kept;

    public static async Task RunAsync(int commands, int warmUp)
    {
        await using var db = await PersistedBenchmark.Database.CreateAsync(SqlProvider.Sqlite, "");
        var (engine, _) = await MigrationBenchmark.LibraryComplaintsAsync(db.Store);
        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(db.Store.ConnectionString).DataSource;
        for (var i = 0; i < warmUp; i++)
        {
            await StartAsync(engine, $"W-{i:D6}");
        }

        var started = new List<Guid>();
        var starts = await MeasureAsync(db, file, commands, async i => started.Add(await StartAsync(engine, $"M-{i:D6}")));
        var registered = await OpenTasksAsync(engine, started);
        var completions = await MeasureAsync(db, file, commands, i => engine.Tasks.CompleteAsync(registered[i],
            new Dictionary<string, object?> { ["category"] = "billing", ["amount"] = 50, ["summary"] = "overcharged" }, "agent"));
        var resolved = await OpenTasksAsync(engine, started);
        var claims = await MeasureAsync(db, file, commands, i => engine.Tasks.ClaimAsync(resolved[i], "agent"));

        var pageSize = (await PageOwnersAsync(db, file)).PageSize;
        if (Environment.GetEnvironmentVariable("WORKFLOWS_BENCH_KEEP") is { Length: > 0 } keep)
        {
            File.Copy(file, keep, overwrite: true);
        }

        string version;
        await using (var connection = db.Open())
        {
            version = await connection.ExecuteScalarAsync<string>("SELECT sqlite_version()") ?? "?";
        }

        Console.WriteLine($"SQLite {version}, page size {pageSize} B; {warmUp} complaints started before, then {commands} commands of each kind one at a time");
        Console.WriteLine();
        Console.WriteLine("| per command | start (complaint received → registration task) | completion (registration → front-desk task) | claim of a task |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| commits | {starts.Commits / (double)commands:N2} | {completions.Commits / (double)commands:N2} | {claims.Commits / (double)commands:N2} |");
        Console.WriteLine($"| WAL pages (frames) | {starts.Frames / (double)commands:N1} | {completions.Frames / (double)commands:N1} | {claims.Frames / (double)commands:N1} |");
        Console.WriteLine($"| WAL bytes | {starts.Frames * (pageSize + 24.0) / commands:N0} | {completions.Frames * (pageSize + 24.0) / commands:N0} | {claims.Frames * (pageSize + 24.0) / commands:N0} |");
        Console.WriteLine();
        Console.WriteLine("| b-tree (table or index) | pages per start | pages per completion | pages per claim |");
        Console.WriteLine("|---|---:|---:|---:|");
        var names = starts.Pages.Keys.Concat(completions.Pages.Keys).Concat(claims.Pages.Keys).Distinct()
            .OrderByDescending(n => PerCommand(starts, n, commands) + PerCommand(completions, n, commands)).ToList();
        foreach (var name in names)
        {
            Console.WriteLine($"| {name} | {PerCommand(starts, name, commands):N2} | {PerCommand(completions, name, commands):N2} | {PerCommand(claims, name, commands):N2} |");
        }
    }

    private static double PerCommand(LogRead read, string name, int commands) => read.Pages.GetValueOrDefault(name) / (double)commands;

    internal static Task<Guid> StartAsync(WorkflowEngine engine, string key) =>
        engine.Runtime.StartAsync(new StartInstance("complaint")
        {
            BusinessKey = key, Branch = "bench-01",
            Variables = new Dictionary<string, object?> { ["caseId"] = key, ["customerId"] = "c-" + key, ["summary"] = "charged twice for the same month" },
        });

    internal static async Task<List<Guid>> OpenTasksAsync(WorkflowEngine engine, List<Guid> instances)
    {
        var tasks = new List<Guid>();
        foreach (var instance in instances)
        {
            tasks.Add((await engine.Tasks.GetOpenAsync(instance)).Single().Id);
        }

        return tasks;
    }

    // Frames and commits a run appended, and its frames per b-tree (each run's pages attributed right after it, since a
    // page freed by one b-tree may later serve another).
    private sealed record LogRead(int Frames, int Commits, Dictionary<string, int> Pages);

    // Runs the commands one at a time, in runs short enough that SQLite never checkpoints on its own (which would restart
    // the log): before each run the log is emptied, after it the frames the run appended are read.
    private static async Task<LogRead> MeasureAsync(PersistedBenchmark.Database db, string file, int count, Func<int, Task> command)
    {
        var total = new LogRead(0, 0, []);
        for (var first = 0; first < count; first += 50)
        {
            await CheckpointAsync(db);
            for (var i = first; i < Math.Min(count, first + 50); i++)
            {
                await command(i);
            }

            var (frames, commits, pages) = ReadLog(await File.ReadAllBytesAsync(file + "-wal"));
            if (Environment.GetEnvironmentVariable("WORKFLOWS_BENCH_KEEP") is { Length: > 0 } keep)
            {
                File.Copy(file + "-wal", $"{keep}-{s_kept++}.wal", overwrite: true);
            }

            var owners = await PageOwnersAsync(db, file);
            foreach (var (page, written) in pages)
            {
                var owner = owners.Owner(page);
                total.Pages[owner] = total.Pages.GetValueOrDefault(owner) + written;
            }

            total = total with { Frames = total.Frames + frames, Commits = total.Commits + commits };
        }

        return total;
    }

    private static (int Frames, int Commits, Dictionary<uint, int> Pages) ReadLog(byte[] wal)
    {
        var pageSize = (int)BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(8));
        var salt = BinaryPrimitives.ReadUInt64BigEndian(wal.AsSpan(16));
        var pages = new Dictionary<uint, int>();
        var frames = 0;
        var commits = 0;
        for (var offset = 32; offset + 24 + pageSize <= wal.Length; offset += 24 + pageSize)
        {
            // A frame left from before the log restarted carries the old salt: the log ends there.
            if (BinaryPrimitives.ReadUInt64BigEndian(wal.AsSpan(offset + 8)) != salt)
            {
                break;
            }

            var page = BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(offset));
            pages[page] = pages.GetValueOrDefault(page) + 1;
            frames++;
            if (BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(offset + 4)) != 0)
            {
                commits++;
            }
        }

        return (frames, commits, pages);
    }

    private static async Task CheckpointAsync(PersistedBenchmark.Database db)
    {
        await using var connection = db.Open();
        var (busy, _, _) = await connection.QuerySingleAsync<(long, long, long)>("PRAGMA wal_checkpoint(TRUNCATE)");
        if (busy != 0)
        {
            throw new InvalidOperationException("the log could not be emptied: a reader held it");
        }
    }

    /// <summary>The b-tree each page of the database file belongs to (its overflow pages counted with it).</summary>
    private sealed class PageMap(int pageSize, Dictionary<uint, string> owners)
    {
        public int PageSize => pageSize;

        public string Owner(uint page) => owners.TryGetValue(page, out var name) ? name : page == 1 ? "(page 1: the file header)" : "(free list)";
    }

    private static async Task<PageMap> PageOwnersAsync(PersistedBenchmark.Database db, string file)
    {
        await CheckpointAsync(db);
        List<(string Name, long Root)> roots;
        await using (var connection = db.Open())
        {
            roots = (await connection.QueryAsync<(string, long)>("SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0")).ToList();
        }

        var bytes = await File.ReadAllBytesAsync(file);
        var pageSize = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(16)) is var size and not 1 ? size : 65536;
        var usable = pageSize - bytes[20];
        var owners = new Dictionary<uint, string>();
        foreach (var (name, root) in roots)
        {
            var pending = new Stack<uint>([(uint)root]);
            while (pending.TryPop(out var page))
            {
                owners[page] = name;
                var start = (int)(page - 1) * pageSize;
                var header = start + (page == 1 ? 100 : 0);
                var kind = bytes[header];
                var cells = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(header + 3));
                var interior = kind is 0x02 or 0x05;
                if (interior)
                {
                    pending.Push(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(header + 8)));
                }

                for (var c = 0; c < cells; c++)
                {
                    var cell = start + BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(header + (interior ? 12 : 8) + 2 * c));
                    if (interior)
                    {
                        pending.Push(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(cell)));
                        cell += 4;
                        if (kind == 0x05)
                        {
                            continue; // a table's interior cell holds a rowid, no payload
                        }
                    }

                    // The payload's size, then (tables' leaves) the rowid; a payload past the local limit goes on in a
                    // chain of overflow pages, which belong to this b-tree too.
                    var payload = Varint(bytes, ref cell);
                    if (kind == 0x0D)
                    {
                        Varint(bytes, ref cell);
                    }

                    var maxLocal = kind == 0x0D ? usable - 35 : ((usable - 12) * 64 / 255) - 23;
                    if (payload <= maxLocal)
                    {
                        continue;
                    }

                    var minLocal = ((usable - 12) * 32 / 255) - 23;
                    var local = minLocal + ((payload - minLocal) % (usable - 4));
                    local = local <= maxLocal ? local : minLocal;
                    for (var overflow = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(cell + (int)local)); overflow != 0;
                         overflow = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)(overflow - 1) * pageSize)))
                    {
                        owners[overflow] = name + " (overflow)";
                    }
                }
            }
        }

        return new PageMap(pageSize, owners);
    }

    private static long Varint(byte[] bytes, ref int at)
    {
        long value = 0;
        for (var i = 0; i < 9; i++)
        {
            var b = bytes[at++];
            if (i == 8)
            {
                return (value << 8) | b;
            }

            value = (value << 7) | (long)(b & 0x7F);
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        return value;
    }
}
