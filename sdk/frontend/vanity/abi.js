// The Solidity ABI for the few types this page sends and reads (address, uint, bool, bytes32,
// string, bytes), so that it needs no Ethereum library. Hex strings carry the "0x" prefix.
"use strict";

const Abi = (() => {
  const DYNAMIC = new Set(["string", "bytes"]);

  const strip = (hex) => hex.startsWith("0x") ? hex.slice(2) : hex;
  const pad = (hex) => hex.padStart(64, "0");
  const padRight = (hex) => hex.padEnd(Math.ceil(hex.length / 64) * 64, "0");

  function bytesToHex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function hexToBytes(hex) {
    const clean = strip(hex);
    const out = new Uint8Array(clean.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(2 * i, 2), 16);
    return out;
  }

  function encodeStatic(type, value) {
    if (type === "address") {
      if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new Error(`not an address: ${value}`);
      return pad(strip(value).toLowerCase());
    }
    if (type.startsWith("uint")) return pad(BigInt(value).toString(16));
    if (type === "bool") return pad(value ? "1" : "0");
    if (type === "bytes32") {
      if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new Error(`not 32 bytes of hex: ${value}`);
      return strip(value).toLowerCase();
    }
    throw new Error(`unsupported type ${type}`);
  }

  function encodeDynamic(type, value) {
    const hex = type === "string" ? bytesToHex(new TextEncoder().encode(value)) : strip(value);
    return pad((hex.length / 2).toString(16)) + padRight(hex);
  }

  // abi.encode(values...) as hex without 0x
  function encode(types, values) {
    const heads = [];
    const tails = [];
    let offset = 32 * types.length;
    types.forEach((type, i) => {
      if (DYNAMIC.has(type)) {
        const tail = encodeDynamic(type, values[i]);
        heads.push(pad(offset.toString(16)));
        tails.push(tail);
        offset += tail.length / 2;
      } else {
        heads.push(encodeStatic(type, values[i]));
      }
    });
    return heads.join("") + tails.join("");
  }

  function decodeAt(type, hex, index) {
    const word = hex.substr(64 * index, 64);
    if (type === "address") return "0x" + word.slice(24);
    if (type.startsWith("uint")) return BigInt("0x" + (word || "0"));
    if (type === "bool") return BigInt("0x" + word) !== 0n;
    if (type === "bytes32") return "0x" + word;
    if (DYNAMIC.has(type)) {
      const start = Number(BigInt("0x" + word)) * 2;
      const length = Number(BigInt("0x" + hex.substr(start, 64))) * 2;
      const body = hex.substr(start + 64, length);
      return type === "string" ? new TextDecoder().decode(hexToBytes(body)) : "0x" + body;
    }
    throw new Error(`unsupported type ${type}`);
  }

  // abi.decode(data, types)
  function decode(types, data) {
    const hex = strip(data);
    return types.map((type, i) => decodeAt(type, hex, i));
  }

  // calldata: a function's 4-byte selector and its encoded arguments
  function call(selector, types, values) {
    return selector + encode(types, values);
  }

  return {encode, decode, call, strip};
})();
