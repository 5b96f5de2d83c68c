using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Spike.Tests.Support;

public static class FreePort
{
    /// <summary>Ports already handed out in this test run: the OS may offer a released port again at once.</summary>
    private static readonly ConcurrentDictionary<int, byte> HandedOut = new();

    /// <summary>
    /// A loopback TCP port nobody listens on right now and that no earlier call returned. Two nodes
    /// started on one port would look like one node that answers the other's routes (a 404 at random).
    /// </summary>
    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (HandedOut.TryAdd(port, 0))
            {
                return port;
            }
        }
    }
}
