using System.Net;
using System.Net.Sockets;

namespace Workflows.Engine.Sql.Tests;

/// <summary>What <see cref="CommitCuttingRelay"/> does with a COMMIT it sees.</summary>
internal enum CommitCut
{
    /// <summary>Passes it on, the connection cut once the server has answered it: the transaction committed, the client never hears so.</summary>
    AfterTheServerAnswered,

    /// <summary>As <see cref="AfterTheServerAnswered"/>, then every connection is cut and new ones refused: nobody can ask what became of it.</summary>
    AfterTheServerAnsweredAndRefuse,

    /// <summary>Drops it and cuts the connection: the server rolls the transaction back.</summary>
    BeforeTheServerSawIt,

    /// <summary>As <see cref="BeforeTheServerSawIt"/>, then every connection is cut and new ones refused: nothing committed, and nobody can ask.</summary>
    BeforeTheServerSawItAndRefuse,

    /// <summary>Holds it until <see cref="CommitCuttingRelay.Release"/>, then passes it on: the transaction stays open on the server meanwhile, with its locks.</summary>
    Held,
}

/// <summary>
/// A TCP relay between a store and PostgreSQL that cuts a connection at its COMMIT (the simple query Npgsql sends for a
/// transaction's commit), the way a network failure or a terminated backend does, at a moment a test chooses.
/// </summary>
internal sealed class CommitCuttingRelay : IAsyncDisposable
{
    private static readonly byte[] s_commit = "COMMIT\0"u8.ToArray();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _serverHost;
    private readonly int _serverPort;
    private readonly List<(TcpClient Client, TcpClient Server)> _links = [];
    private readonly CancellationTokenSource _stop = new();
    private CommitCut _cut;
    private int _cutsLeft;
    private int _commitsCut;
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CommitCuttingRelay(string serverHost, int serverPort)
    {
        _serverHost = serverHost;
        _serverPort = serverPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many COMMITs were cut.</summary>
    public int CommitsCut => Volatile.Read(ref _commitsCut);

    /// <summary>Whether new connections are refused (set by <see cref="CommitCut.AfterTheServerAnsweredAndRefuse"/>).</summary>
    public bool Refusing { get; set; }

    /// <summary>Completes when a COMMIT is held (<see cref="CommitCut.Held"/>).</summary>
    public Task CommitHeld => _held.Task;

    /// <summary>Lets the held COMMITs through.</summary>
    public void Release() => _release.TrySetResult();

    /// <summary>Cuts the next <paramref name="times"/> COMMITs the way <paramref name="cut"/> says.</summary>
    public void Cut(CommitCut cut, int times = 1)
    {
        if (cut == CommitCut.Held)
        {
            _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _cut = cut;
        Volatile.Write(ref _cutsLeft, times);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CloseAll();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (Refusing)
            {
                client.Dispose();
                continue;
            }

            var server = new TcpClient();
            await server.ConnectAsync(_serverHost, _serverPort);
            client.NoDelay = server.NoDelay = true;
            lock (_links)
            {
                _links.Add((client, server));
            }

            var link = new Link(this, client, server);
            _ = link.ToServerAsync();
            _ = link.ToClientAsync();
        }
    }

    // The cut a COMMIT in this chunk takes, if one is asked.
    private CommitCut? TakeCut(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IndexOf(s_commit) < 0 || Volatile.Read(ref _cutsLeft) <= 0 || Interlocked.Decrement(ref _cutsLeft) < 0)
        {
            return null;
        }

        Interlocked.Increment(ref _commitsCut);
        return _cut;
    }

    private void CloseAll()
    {
        lock (_links)
        {
            foreach (var (client, server) in _links)
            {
                client.Dispose();
                server.Dispose();
            }

            _links.Clear();
        }
    }

    private sealed class Link(CommitCuttingRelay relay, TcpClient client, TcpClient server)
    {
        // The cut the COMMIT sent on this link asked for (a CommitCut), or -1 while none.
        private int _afterAnswer = -1;

        public async Task ToServerAsync()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                var from = client.GetStream();
                var to = server.GetStream();
                while (true)
                {
                    var read = await from.ReadAsync(buffer);
                    if (read == 0)
                    {
                        break;
                    }

                    var cut = relay.TakeCut(buffer.AsSpan(0, read));
                    if (cut == CommitCut.BeforeTheServerSawIt)
                    {
                        break;
                    }

                    if (cut == CommitCut.BeforeTheServerSawItAndRefuse)
                    {
                        relay.Refusing = true;
                        relay.CloseAll();
                        break;
                    }

                    if (cut == CommitCut.Held)
                    {
                        relay._held.TrySetResult();
                        await relay._release.Task;
                    }

                    // Set before the COMMIT leaves, so the answer it draws is read with the cut in force.
                    else if (cut is { } taken)
                    {
                        Volatile.Write(ref _afterAnswer, (int)taken);
                    }

                    await to.WriteAsync(buffer.AsMemory(0, read));
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
            {
            }

            Close();
        }

        public async Task ToClientAsync()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                var from = server.GetStream();
                var to = client.GetStream();
                while (true)
                {
                    var read = await from.ReadAsync(buffer);
                    if (read == 0)
                    {
                        break;
                    }

                    if (Volatile.Read(ref _afterAnswer) is >= 0 and var cut)
                    {
                        // The server answered the COMMIT: it committed; the client is cut off before it hears so.
                        if ((CommitCut)cut == CommitCut.AfterTheServerAnsweredAndRefuse)
                        {
                            relay.Refusing = true;
                            relay.CloseAll();
                        }

                        break;
                    }

                    await to.WriteAsync(buffer.AsMemory(0, read));
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
            {
            }

            Close();
        }

        private void Close()
        {
            client.Dispose();
            server.Dispose();
        }
    }
}
