using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Ids of the rows a command writes: version-7 GUIDs (time-ordered, so the store's indexes grow at their end), with
/// random bits drawn from the operating system's secure generator 4 KB at a time.
/// </summary>
/// <remarks>
/// <see cref="Guid.CreateVersion7(DateTimeOffset)"/> asks the kernel for fresh bytes on every call (a read of
/// /dev/urandom on this platform): about 4 % of an in-memory command's CPU, for ids that need nothing a batched read
/// of the same generator does not give. The buffer is per thread, so no lock; the bytes are as unpredictable as
/// the kernel's, so an id still says nothing about the next one.
/// </remarks>
internal static class RowIds
{
    private const int BufferBytes = 4096;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_used;

    public static Guid NewId(DateTimeOffset at)
    {
        var random = t_random;
        if (random is null || t_used == BufferBytes)
        {
            random = t_random ??= new byte[BufferBytes];
            RandomNumberGenerator.Fill(random);
            t_used = 0;
        }

        Span<byte> bytes = stackalloc byte[16];
        random.AsSpan(t_used, 16).CopyTo(bytes);
        t_used += 16;

        // RFC 9562: 48 bits of Unix milliseconds, version 7, the RFC's variant; the other 74 bits random.
        var milliseconds = at.ToUnixTimeMilliseconds();
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)(milliseconds >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(bytes[2..], (uint)milliseconds);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
