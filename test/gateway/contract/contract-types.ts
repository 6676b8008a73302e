// Shapes of the transcribed upstream tables the proto contract test compares our .proto files with.
export type Field = [name: string, id: number, type: string, kind?: string];
export type Rpc = [request: string, response: string, serverStreaming: boolean];
export type Enums = Record<string, Record<string, number>>;
/** Reserved numbers and names per message or enum, in declaration order. */
export type Reserved = Record<string, Array<number | string>>;

export interface ContractTables {
  rpcs: Record<string, Rpc>;
  messages: Record<string, Field[]>;
  enums: Enums;
  reserved: Reserved;
}
