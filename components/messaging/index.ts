/** Cluster messaging: subjects, subscribers, request/reply, and the wire format. */
export { CommunicationManager } from './CommunicationManager.js';
export * from './api.js';
export * from './FrameCodec.js';
