export * from './linear.js';
export * from './conv.js';
export * from './norm.js';
export * from './activation.js';
export * from './pooling.js';
export * from './container.js';
