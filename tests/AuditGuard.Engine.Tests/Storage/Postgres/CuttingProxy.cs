using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AuditGuard.Engine.Tests.Storage.Postgres;

/// <summary>When the proxy cuts a connection at the client's COMMIT: before the server sees it, or after it has.</summary>
public enum CommitCut
{
    None,
    BeforeCommit,
    AfterCommit,
}

/// <summary>
/// A TCP proxy between a client and the test server that, when armed, cuts the connection on which
/// the client sends COMMIT: either before forwarding it (the transaction never commits) or after the
/// server has had it (the commit lands, its answer is lost). Each cut happens once, then it disarms.
/// </summary>
public sealed class CuttingProxy : IDisposable
{
    // The simple-query message the driver commits with: 'Q', its length (11), "COMMIT" and a NUL.
    private static readonly byte[] Commit = [(byte)'Q', 0, 0, 0, 11, .. Encoding.ASCII.GetBytes("COMMIT"), 0];
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();

    public CuttingProxy(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public CommitCut Cut { get; set; }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
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

            var server = new TcpClient();
            await server.ConnectAsync(_host, _port);
            _ = Task.Run(() => PumpAsync(client, server, inspect: true));
            _ = Task.Run(() => PumpAsync(server, client, inspect: false));
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool inspect)
    {
        var buffer = new byte[65536];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var read = await input.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                var cut = inspect && Cut != CommitCut.None && buffer.AsSpan(0, read).IndexOf(Commit) >= 0 ? Cut : CommitCut.None;
                if (cut == CommitCut.BeforeCommit)
                {
                    Cut = CommitCut.None;
                    break;
                }

                await output.WriteAsync(buffer.AsMemory(0, read));
                if (cut == CommitCut.AfterCommit)
                {
                    Cut = CommitCut.None;
                    // Long enough for the server to commit; the answer then never reaches the client.
                    await Task.Delay(500);
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        finally
        {
            from.Close();
            to.Close();
        }
    }
}
