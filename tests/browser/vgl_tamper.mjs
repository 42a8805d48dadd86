// NAME
//	vgl_tamper.mjs - alter one stored datagram of a day file, as an
//	attacker with write access to the disk would
// DESCRIPTION
//	vgl_tamper.mjs FILE N
//	Flips one bit of the ciphertext of the Nth video DATA datagram (N
//	from 1) of a partition file (docs/STORAGE.md) and recomputes the
//	record's CRC-32C, so that the storage layer still finds a good record
//	and only the datagram's AES-GCM tag can tell. Prints "counter=C
//	frame=F capture_ms=T offset=O" of the altered datagram.
import fs from 'node:fs';

const T = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
	let c = i;
	for (let k = 0; k < 8; k++)
		c = c & 1 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1;
	T[i] = c >>> 0;
}
function crc32c(parts) {
	let c = 0xFFFFFFFF;
	for (const b of parts)
		for (let i = 0; i < b.length; i++)
			c = T[(c ^ b[i]) & 0xFF] ^ (c >>> 8);
	return (c ^ 0xFFFFFFFF) >>> 0;
}

const [file, nArg] = process.argv.slice(2);
const want = Number(nArg);
const fd = fs.openSync(file, 'r+');
const buf = fs.readFileSync(file);
if (crc32c([Buffer.from('123456789')]) !== 0xE3069283)
	throw new Error('crc32c self-check');
let n = 0;
for (let o = 64; o + 40 <= buf.length;) {
	if (buf.toString('latin1', o, o + 4) !== 'VREC')
		throw new Error('no record at ' + o);
	const len = buf.readUInt16BE(o + 4);
	const d = buf.subarray(o + 40, o + 40 + len);
	if (d[3] === 3 && d[32] === 0 && ++n === want) {
		d[56 + 5] ^= 0x01;
		buf.writeUInt32BE(crc32c([buf.subarray(o, o + 36), d]), o + 36);
		fs.writeSync(fd, buf, o, 40 + len, o);
		fs.fsyncSync(fd);
		console.log(`counter=${d.readUInt32BE(24)} frame=${d.readUInt32BE(36)} capture_ms=${d.readBigUInt64BE(44)} offset=${o}`);
		process.exit(0);
	}
	o += 40 + len;
}
console.error('vgl_tamper: fewer than ' + want + ' video datagrams');
process.exit(1);
