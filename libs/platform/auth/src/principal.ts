/** Who is calling, as the verified token says: its subject, its roles, and whether one of them is the admin role. */
export interface Principal {
  readonly subject: string;
  readonly roles: ReadonlySet<string>;
  readonly isAdmin: boolean;
}
