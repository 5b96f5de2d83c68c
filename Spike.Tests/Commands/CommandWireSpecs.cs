using System.Buffers.Binary;
using System.Text;
using Spike.Commands;

namespace Spike.Tests.Commands;

public sealed class CommandWireSpecs
{
    [Fact]
    public async Task Should_read_back_the_token_and_command_line_when_a_request_is_written()
    {
        using var stream = new MemoryStream();
        await CommandWire.WriteRequestAsync(stream, new CommandRequest("tökén", "cluster show"), CancellationToken.None);
        stream.Position = 0;

        var request = await CommandWire.ReadRequestAsync(stream, CancellationToken.None);

        Assert.Equal(new CommandRequest("tökén", "cluster show"), request);
    }

    [Fact]
    public async Task Should_read_back_lines_and_the_exit_code_in_order_when_a_reply_is_written()
    {
        using var stream = new MemoryStream();
        await CommandWire.WriteLineAsync(stream, ReplyKind.Output, "a | b", CancellationToken.None);
        await CommandWire.WriteLineAsync(stream, ReplyKind.Error, "oops", CancellationToken.None);
        await CommandWire.WriteExitAsync(stream, 2, CancellationToken.None);
        stream.Position = 0;

        Assert.Equal(new ReplyFrame(ReplyKind.Output, "a | b", 0), await CommandWire.ReadReplyAsync(stream, CancellationToken.None));
        Assert.Equal(new ReplyFrame(ReplyKind.Error, "oops", 0), await CommandWire.ReadReplyAsync(stream, CancellationToken.None));
        Assert.Equal(new ReplyFrame(ReplyKind.Exit, "", 2), await CommandWire.ReadReplyAsync(stream, CancellationToken.None));
    }

    [Fact]
    public async Task Should_cut_a_line_to_the_bound_when_it_is_longer()
    {
        using var stream = new MemoryStream();
        await CommandWire.WriteLineAsync(stream, ReplyKind.Output, new string('é', CommandWire.MaxLineBytes), CancellationToken.None);
        stream.Position = 0;

        var frame = await CommandWire.ReadReplyAsync(stream, CancellationToken.None);

        Assert.True(Encoding.UTF8.GetByteCount(frame.Text) <= CommandWire.MaxLineBytes);
        Assert.EndsWith("…", frame.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_to_send_when_the_command_line_is_above_the_bound()
    {
        using var stream = new MemoryStream();

        await Assert.ThrowsAsync<ArgumentException>(() => CommandWire.WriteRequestAsync(
            stream, new CommandRequest("t", new string('x', CommandWire.MaxCommandBytes + 1)), CancellationToken.None));
        Assert.Equal(0, stream.Length);
    }

    public static TheoryData<string, byte[]> BadRequests => new()
    {
        { "an HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray() },
        { "nothing", [] },
        { "the magic alone", "SPK1"u8.ToArray() },
        { "a token length above the bound", [.. "SPK1"u8, .. BigEndian16(CommandWire.MaxTokenBytes + 1)] },
        { "a command length above the bound", [.. "SPK1"u8, .. BigEndian16(1), (byte)'t', .. BigEndian16(CommandWire.MaxCommandBytes + 1)] },
        { "a cut-off command", [.. "SPK1"u8, .. BigEndian16(1), (byte)'t', .. BigEndian16(10), (byte)'x'] },
        { "invalid UTF-8", [.. "SPK1"u8, .. BigEndian16(2), 0xC3, 0x28, .. BigEndian16(0)] },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Should_throw_a_wire_exception_when_the_request_is_not_the_protocol(string what, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);

        var error = await Record.ExceptionAsync(() => CommandWire.ReadRequestAsync(stream, CancellationToken.None));

        Assert.True(error is CommandWireException, $"{what}: {error}");
    }

    public static TheoryData<string, byte[]> BadReplies => new()
    {
        { "an unknown kind", [(byte)'z', 0, 0, 0, 0] },
        { "a line above the bound", [(byte)'o', .. BigEndian32(CommandWire.MaxLineBytes + 1)] },
        { "an exit code of the wrong size", [(byte)'x', .. BigEndian32(2), 0, 1] },
        { "a cut-off line", [(byte)'o', .. BigEndian32(10), (byte)'a'] },
    };

    [Theory]
    [MemberData(nameof(BadReplies))]
    public async Task Should_throw_a_wire_exception_when_the_reply_is_not_the_protocol(string what, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);

        var error = await Record.ExceptionAsync(() => CommandWire.ReadReplyAsync(stream, CancellationToken.None));

        Assert.True(error is CommandWireException, $"{what}: {error}");
    }

    private static byte[] BigEndian16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    private static byte[] BigEndian32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)value);
        return bytes;
    }
}
