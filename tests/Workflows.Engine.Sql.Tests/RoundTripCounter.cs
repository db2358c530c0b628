using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A TCP relay between the store and PostgreSQL that counts round trips: the times the client speaks again after the
/// server has answered. Npgsql's meters count commands and batches but not the COMMIT it sends itself; this counts
/// what the server is woken for.
/// </summary>
/// <remarks>
/// The count follows cause and effect, not timing: a client that waits for an answer before it sends again is counted
/// once per exchange. A client that sends more before the server's answer (a batch larger than its buffer) could be
/// counted more than once, never less.
/// </remarks>
internal sealed class RoundTripCounter : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly List<Task> _relays = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Task _accepting;
    private bool _serverSpoke = true;
    private int _turns;

    public RoundTripCounter(string server)
    {
        var builder = new NpgsqlConnectionStringBuilder(server);
        (_upstreamHost, _upstreamPort) = (builder.Host!, builder.Port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The round trips since the last <see cref="Reset"/>.</summary>
    public int Turns
    {
        get
        {
            lock (_gate)
            {
                return _turns;
            }
        }
    }

    /// <summary><paramref name="connectionString"/> pointed at the relay instead of the server.</summary>
    public string Through(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString)
    {
        Host = "127.0.0.1", Port = ((IPEndPoint)_listener.LocalEndpoint).Port,
    }.ConnectionString;

    public void Reset()
    {
        lock (_gate)
        {
            _turns = 0;
            _serverSpoke = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await Task.WhenAll([_accepting, .. _relays]).ContinueWith(_ => { }, TaskScheduler.Default);
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
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new TcpClient();
            await server.ConnectAsync(_upstreamHost, _upstreamPort, _stop.Token);
            lock (_gate)
            {
                _relays.Add(RelayAsync(client, server));
            }
        }
    }

    private async Task RelayAsync(TcpClient client, TcpClient server)
    {
        using (client)
        using (server)
        {
            await Task.WhenAny(PumpAsync(client.GetStream(), server.GetStream(), fromClient: true), PumpAsync(server.GetStream(), client.GetStream(), fromClient: false));
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool fromClient)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                lock (_gate)
                {
                    if (fromClient && _serverSpoke)
                    {
                        _turns++;
                    }

                    _serverSpoke = !fromClient;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The other side closed: the relay ends.
        }
    }
}
